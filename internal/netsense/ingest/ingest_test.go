package ingest

import (
	"os"
	"strings"
	"testing"

	"github.com/medshield/medshield/internal/corpus"
	"github.com/medshield/medshield/internal/event"
)

func collect(t *testing.T, fn func(emit func(event.Event)) (Stats, error)) ([]event.Event, Stats) {
	t.Helper()
	var evs []event.Event
	st, err := fn(func(e event.Event) { evs = append(evs, e) })
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if err := e.Validate(); err != nil {
			t.Errorf("event does not validate: %v", err)
		}
	}
	return evs, st
}

func TestReadEVE(t *testing.T) {
	f, _ := os.Open("testdata/eve-v2-v3.json")
	defer f.Close()
	evs, st := collect(t, func(emit func(event.Event)) (Stats, error) { return ReadEVE(f, "eve.json", emit) })
	if st.Events != 6 || st.Alerts != 1 || st.Skipped != 2 {
		t.Fatalf("stats %+v", st)
	}
	if !strings.HasPrefix(st.Errors[0], "eve.json:6: not JSON") || !strings.HasPrefix(st.Errors[1], "eve.json:7: timestamp") {
		t.Errorf("errors %q", st.Errors)
	}
	a := evs[0]
	if a.Kind != event.KindAlert || a.Rule.ID != "suricata:2024297" || a.Severity != event.SeverityHigh || a.Techniques[0] != "T1210" ||
		a.Source.IP != "10.0.0.5" || a.Destination.Port != 445 || a.Timestamp.Nanosecond() != 123456000 {
		t.Errorf("alert %+v", a)
	}
	dns := []string{}
	for _, e := range evs[1:4] {
		dns = append(dns, e.DNS.QuestionName+"/"+e.DNS.QuestionType+"/"+e.DNS.ResponseCode+"/"+strings.Join(e.DNS.Answers, "+"))
	}
	want := "evil.example/A/NOERROR/203.0.113.7 nope.example/AAAA/NXDOMAIN/ g.example/A/NOERROR/192.0.2.1+192.0.2.2"
	if strings.Join(dns, " ") != want {
		t.Errorf("dns %q\nwant %q", dns, want)
	}
	if evs[4].URL.Full != "http://evil.example/gate.php?id=1" || evs[5].Destination.Domain != "pool.example" {
		t.Errorf("http %+v tls %+v", evs[4].URL, evs[5].Destination)
	}
}

func TestReadZeekJSON(t *testing.T) {
	f, _ := os.Open("testdata/zeek-json.log")
	defer f.Close()
	evs, st := collect(t, func(emit func(event.Event)) (Stats, error) { return ReadZeek(f, "zeek-json.log", emit) })
	if st.Events != 2 || st.Alerts != 1 || st.Skipped != 1 {
		t.Fatalf("stats %+v", st)
	}
	if evs[0].Rule.ID != "zeek:Scan::Port_Scan" || evs[0].Timestamp.UnixMilli() != 1705305600500 {
		t.Errorf("notice %+v", evs[0])
	}
	if evs[1].DNS.QuestionName != "evil.example" || len(evs[1].DNS.Answers) != 2 || evs[1].Dataset != "zeek.dns" {
		t.Errorf("dns %+v", evs[1].DNS)
	}
}

// TestReadZeekTSVCorpus reads the real Zeek 2.4 TSV logs of the corpus.
func TestReadZeekTSVCorpus(t *testing.T) {
	dir := corpus.Dir(t, "pcap/logs/zeek-4sics-2015")
	evs, st := collect(t, func(emit func(event.Event)) (Stats, error) { return ReadZeekDir(dir, emit) })
	if st.Skipped != 0 || st.Events != 7*200 {
		t.Fatalf("stats %+v", st)
	}
	by := map[string]int{}
	for _, e := range evs {
		by[e.Dataset]++
	}
	for _, ds := range []string{"zeek.conn", "zeek.dns", "zeek.http", "zeek.ssl", "zeek.x509", "zeek.files", "zeek.weird"} {
		if by[ds] != 200 {
			t.Errorf("%s: %d events", ds, by[ds])
		}
	}
	for _, e := range evs {
		if e.Dataset == "zeek.dns" {
			if e.DNS.QuestionName != "time.nist.gov" || e.DNS.ResponseCode != "REFUSED" || e.Source.IP != "192.168.88.61" {
				t.Errorf("first dns %+v %+v", e.DNS, e.Source)
			}
			break
		}
	}
}

func FuzzReadEVE(f *testing.F) {
	b, _ := os.ReadFile("testdata/eve-v2-v3.json")
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = ReadEVE(strings.NewReader(string(data)), "fuzz", func(event.Event) {})
	})
}

func FuzzReadZeek(f *testing.F) {
	b, _ := os.ReadFile("testdata/zeek-json.log")
	f.Add(b)
	f.Add([]byte("#separator \\x09\n#fields\tts\tid.orig_h\n1.5\t10.0.0.1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = ReadZeek(strings.NewReader(string(data)), "conn.log", func(event.Event) {})
	})
}
