package inventory

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// vsFixedFileInfoSig is VS_FIXEDFILEINFO.dwSignature (0xFEEF04BD) as it is
// stored in PE version resources (little-endian).
var vsFixedFileInfoSig = []byte{0xbd, 0x04, 0xef, 0xfe}

// maxVersionFile bounds how much of a file is searched for its version.
const maxVersionFile = 64 << 20

// FileVersion returns the file version ("6.1.7601.23689") of a Windows PE
// file from its VS_FIXEDFILEINFO resource — the version KB4023262 asks
// administrators to compare for MS17-010 (srv.sys). Pure Go, so recorded
// driver files can be checked on any OS.
func FileVersion(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxVersionFile))
	if err != nil {
		return "", err
	}
	return ParseFileVersion(data)
}

// ParseFileVersion finds the VS_FIXEDFILEINFO structure in PE bytes and
// returns dwFileVersionMS/LS as a dotted version.
func ParseFileVersion(data []byte) (string, error) {
	if len(data) < 2 || data[0] != 'M' || data[1] != 'Z' {
		return "", errors.New("not a PE file")
	}
	for off := 0; ; {
		i := bytes.Index(data[off:], vsFixedFileInfoSig)
		if i < 0 {
			return "", errors.New("no version resource")
		}
		p := off + i
		off = p + 1
		// dwSignature, dwStrucVersion (0x00010000), dwFileVersionMS, dwFileVersionLS.
		if p%4 != 0 || p+16 > len(data) || binary.LittleEndian.Uint32(data[p+4:]) != 0x00010000 {
			continue
		}
		ms := binary.LittleEndian.Uint32(data[p+8:])
		ls := binary.LittleEndian.Uint32(data[p+12:])
		return fmt.Sprintf("%d.%d.%d.%d", ms>>16, ms&0xffff, ls>>16, ls&0xffff), nil
	}
}
