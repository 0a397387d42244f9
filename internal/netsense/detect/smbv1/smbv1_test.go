package smbv1_test

import (
	"strings"
	"testing"

	"github.com/medshield/medshield/internal/netsense/detect/detecttest"
	"github.com/medshield/medshield/internal/netsense/detect/smbv1"
	"github.com/medshield/medshield/internal/netsense/pcaptest"
)

func smb1(cmd byte, reply bool) []byte {
	h := make([]byte, 35)
	copy(h, "\xffSMB")
	h[4] = cmd
	if reply {
		h[9] = 0x80
	}
	return append([]byte{0, 0, 0, byte(len(h))}, h...)
}

func TestSMBv1InUse(t *testing.T) {
	offer := pcaptest.NewConv(pcaptest.Base, "10.0.0.2", 40000, "10.0.0.9", 445).Send(true, smb1(0x72, false)).Close()
	if got := detecttest.Run(t, nil, nil, smbv1.New(), offer); len(got) != 0 {
		t.Errorf("a client offering SMBv1 dialects is not SMBv1 in use: %q", detecttest.Rules(got))
	}
	used := pcaptest.NewConv(pcaptest.Base, "10.0.0.2", 40000, "10.0.0.9", 445).Send(true, smb1(0x72, false)).Send(false, smb1(0x72, true)).Close()
	if got := strings.Join(detecttest.Rules(detecttest.Run(t, nil, nil, smbv1.New(), used)), ";"); got != "smb.v1-in-use 10.0.0.2->10.0.0.9" {
		t.Errorf("got %q", got)
	}
}
