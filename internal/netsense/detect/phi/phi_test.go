package phi_test

import (
	"strings"
	"testing"

	"github.com/medshield/medshield/internal/netsense/capture"
	"github.com/medshield/medshield/internal/netsense/detect/detecttest"
	"github.com/medshield/medshield/internal/netsense/detect/phi"
	"github.com/medshield/medshield/internal/netsense/pcaptest"
)

func post(dst, body string) []capture.Packet {
	req := "POST /api HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " + itoa(len(body)) + "\r\n\r\n" + body
	return pcaptest.NewConv(pcaptest.Base, "10.0.0.5", 40000, dst, 80).Send(true, []byte(req)).Close()
}

func itoa(n int) string {
	s := ""
	for ; n > 0; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	if s == "" {
		return "0"
	}
	return s
}

func hl7(dst string) []capture.Packet {
	m := "\x0bMSH|^~\\&|HIS|H|LIS|L|20240115||ADT^A04|1|P|2.5\rPID|1||MRN1^^^HIS^MR||WANG^WU\r\x1c\r"
	return pcaptest.NewConv(pcaptest.Base, "10.0.0.5", 40000, dst, 2575).Send(true, []byte(m)).Close()
}

func TestPatientDataLeaving(t *testing.T) {
	tests := []struct {
		name string
		pkts []capture.Packet
		want string
	}{
		{"id number to the internet", post("203.0.113.80", `{"id":"110101199003074514"}`), "phi.http-outbound 10.0.0.5->203.0.113.80"},
		{"same to an internal server", post("10.9.0.1", `{"id":"110101199003074514"}`), ""},
		{"look-alike numbers", post("203.0.113.80", `{"order":"110101199003074515","n":"12345678901"}`), ""},
		{"hl7 to the internet", hl7("203.0.113.50"), "phi.hl7-outbound 10.0.0.5->203.0.113.50"},
		{"hl7 to the lab", hl7("10.20.7.30"), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			evs := detecttest.Run(t, nil, nil, phi.New(), tc.pkts)
			got := strings.Join(detecttest.Rules(evs), ";")
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			for _, e := range evs { // alerts must never carry the identifier itself
				for k, v := range e.Fields {
					if s, ok := v.(string); ok && strings.Contains(s, "110101199003074514") {
						t.Errorf("field %s leaks the identifier: %q", k, s)
					}
				}
				if strings.Contains(e.Message, "110101199003074514") {
					t.Errorf("message leaks the identifier")
				}
			}
		})
	}
}

func TestPatientDataInResponsesToOutsideClients(t *testing.T) {
	body := `{"patients":[{"name":"x","idcard":"110101199003074514","phone":"13800138000"}]}`
	resp := func(client string, ct string) []capture.Packet {
		c := pcaptest.NewConv(pcaptest.Base, client, 40000, "10.0.0.80", 80)
		c.Send(true, []byte("GET /api/patients HTTP/1.1\r\nHost: his.hospital.example\r\n\r\n"))
		c.Send(false, []byte("HTTP/1.1 200 OK\r\nContent-Type: "+ct+"\r\n\r\n"+body)) // body runs to the close
		return c.Close()
	}
	tests := []struct {
		name string
		pkts []capture.Packet
		want string
	}{
		{"json to an outside client", resp("198.51.100.9", "application/json"), "phi.http-outbound 10.0.0.80->198.51.100.9"},
		{"json to an inside client", resp("10.0.0.5", "application/json"), ""},
		{"binary content type is not inspected", resp("198.51.100.9", "application/octet-stream"), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := strings.Join(detecttest.Rules(detecttest.Run(t, nil, nil, phi.New(), tc.pkts)), ";")
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
