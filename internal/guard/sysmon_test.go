package guard

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/medshield/medshield/internal/corpus"
	"github.com/medshield/medshield/internal/evtx"
)

var windowsPath = regexp.MustCompile(`^([A-Za-z]:\\|\\\\)`)

// TestSysmonRecordedLogs turns recorded Sysmon logs (the SigmaHQ regression
// samples for file events and process creation) into shield activity, both
// from the event data and from the XML that wevtutil prints, and requires
// the two to agree.
func TestSysmonRecordedLogs(t *testing.T) {
	dir := corpus.Dir(t, "sigma")
	f, err := os.Open(filepath.Join(dir, "manifest.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var samples []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 14 || !strings.HasSuffix(cols[5], ".evtx") {
			continue
		}
		if m := regexp.MustCompile(`Sysmon/Operational:(11|23|26|1)\b`).FindString(cols[13]); m != "" {
			samples = append(samples, filepath.Join(dir, cols[5]))
		}
	}
	if len(samples) < 16 {
		t.Fatalf("found %d Sysmon samples, want at least 16", len(samples))
	}
	counts := map[Op]int{}
	for _, path := range samples {
		ef, err := evtx.Open(path, evtx.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for {
			rec, err := ef.Next()
			if err != nil {
				break
			}
			fields := rec.Fields()
			id, _ := strconv.Atoi(fields["EventID"])
			if fields["Channel"] != "Microsoft-Windows-Sysmon/Operational" {
				continue
			}
			rid, _ := strconv.ParseUint(fields["EventRecordID"], 10, 64)
			fromData := SysmonToEvent(id, rid, fields["TimeCreated_SystemTime"], fields)
			xmlDoc, err := rec.XML()
			if err != nil {
				t.Fatal(err)
			}
			parsed, err := ParseSysmonXML(bytes.NewReader(xmlDoc))
			if err != nil || len(parsed) != 1 {
				t.Fatalf("%s record %d: XML gave %d records, %v", filepath.Base(path), rid, len(parsed), err)
			}
			fromXML := parsed[0]
			if fromXML.OK != fromData.OK || fromXML.Event.Op != fromData.Event.Op || fromXML.Event.PID != fromData.Event.PID ||
				fromXML.Event.Path != fromData.Event.Path || fromXML.RecordID != rid || !fromXML.Event.Time.Equal(fromData.Event.Time) {
				t.Fatalf("%s record %d: XML %+v, event data %+v", filepath.Base(path), rid, fromXML, fromData)
			}
			switch id {
			case 11, 23, 26, 1:
				if !fromData.OK || fromData.Event.PID <= 0 || !windowsPath.MatchString(fromData.Event.Path) || fromData.Event.Time.IsZero() {
					t.Fatalf("%s record %d (event %d): %+v", filepath.Base(path), rid, id, fromData)
				}
				if id == 1 && fromData.Event.Cmdline == "" {
					t.Fatalf("%s: process creation without a command line", filepath.Base(path))
				}
				counts[fromData.Event.Op]++
			}
		}
		ef.Close()
	}
	t.Logf("%d samples: %d file writes/creates, %d deletes, %d process starts", len(samples), counts[OpWrite], counts[OpDelete], counts[OpExec])
	if counts[OpWrite] == 0 || counts[OpExec] == 0 {
		t.Fatalf("recorded logs gave %v", counts)
	}
}

func TestSysmonRecoveryInhibitionAndJunk(t *testing.T) {
	doc := `<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><EventID>1</EventID><EventRecordID>7</EventRecordID><Channel>Microsoft-Windows-Sysmon/Operational</Channel><TimeCreated SystemTime="2026-11-29T10:00:00.1234567Z"/></System><EventData><Data Name="UtcTime">2026-11-29 10:00:00.123</Data><Data Name="ProcessId">4242</Data><Data Name="Image">C:\Windows\System32\vssadmin.exe</Data><Data Name="CommandLine">vssadmin.exe Delete Shadows /All /Quiet</Data></EventData></Event>
<Event><System><EventID>3</EventID></System></Event><Event><broken`
	recs, err := ParseSysmonXML(strings.NewReader(doc))
	if len(recs) < 2 {
		t.Fatalf("got %d records (%v)", len(recs), err)
	}
	if !recs[0].OK || recs[0].Event.Op != OpExec || recs[0].Event.PID != 4242 || !isRecoveryInhibition(recs[0].Event.Cmdline) {
		t.Fatalf("process start: %+v", recs[0])
	}
	if recs[1].OK {
		t.Fatalf("network event taken as activity: %+v", recs[1])
	}
}

func FuzzParseSysmonXML(f *testing.F) {
	f.Add([]byte(`<Event><System><EventID>11</EventID></System><EventData><Data Name="ProcessId">1</Data><Data Name="TargetFilename">C:\a</Data></EventData></Event>`))
	f.Add([]byte(`<Event><System><EventID>1`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ParseSysmonXML(bytes.NewReader(b))
	})
}
