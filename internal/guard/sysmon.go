package guard

import (
	"encoding/xml"
	"io"
	"strconv"
	"strings"
	"time"
)

// Sysmon gives the ransomware shield per-process file activity on Windows
// without a kernel driver of our own: Sysmon's event log records file
// creation and overwrite (event 11, FileCreate: also fired when a file is
// truncated and rewritten), deletion (23 FileDelete, 26
// FileDeleteDetected), file-time changes (2) and process starts (1, with the
// command line, which feeds the recovery-inhibition signal). The events are
// read as the XML that `wevtutil qe` prints (see sysmon_windows.go) and
// turned into FileEvents here; this part is portable and tested on recorded
// Sysmon logs.

// sysmonXML is the part of a rendered Windows event the shield reads.
type sysmonXML struct {
	System struct {
		EventID       int    `xml:"EventID"`
		EventRecordID uint64 `xml:"EventRecordID"`
		Channel       string `xml:"Channel"`
		TimeCreated   struct {
			SystemTime string `xml:"SystemTime,attr"`
		} `xml:"TimeCreated"`
	} `xml:"System"`
	Data []struct {
		Name  string `xml:"Name,attr"`
		Value string `xml:",chardata"`
	} `xml:"EventData>Data"`
}

// SysmonRecord is a decoded Sysmon event: its record id (to resume reading)
// and the activity it describes.
type SysmonRecord struct {
	RecordID uint64
	Event    FileEvent
	OK       bool // false for Sysmon events that are not file or process activity
}

// sysmonMaxEvent bounds one event's XML (a Sysmon event is a few KB).
const sysmonMaxEvent = 1 << 20

// ParseSysmonXML reads a stream of rendered events (`wevtutil qe ... /f:xml`
// prints them back to back without a root element) and returns the decoded
// records. Unknown or malformed events are skipped.
func ParseSysmonXML(r io.Reader) ([]SysmonRecord, error) {
	dec := xml.NewDecoder(io.LimitReader(r, 256<<20))
	dec.Strict = false
	var out []SysmonRecord
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "Event" {
			continue
		}
		var ev sysmonXML
		if err := dec.DecodeElement(&ev, &se); err != nil {
			continue
		}
		out = append(out, SysmonToEvent(ev.System.EventID, ev.System.EventRecordID, ev.System.TimeCreated.SystemTime, dataMap(ev)))
	}
}

func dataMap(ev sysmonXML) map[string]string {
	m := make(map[string]string, len(ev.Data))
	for _, d := range ev.Data {
		if len(d.Value) <= sysmonMaxEvent {
			m[d.Name] = d.Value
		}
	}
	return m
}

// SysmonToEvent converts one Sysmon event (its EventData by name, as both
// `wevtutil` XML and internal/evtx's Fields give it).
func SysmonToEvent(eventID int, recordID uint64, systemTime string, data map[string]string) SysmonRecord {
	rec := SysmonRecord{RecordID: recordID}
	pid, _ := strconv.Atoi(strings.TrimSpace(data["ProcessId"]))
	t := parseSysmonTime(data["UtcTime"])
	if t.IsZero() {
		t = parseSysmonTime(systemTime)
	}
	ev := FileEvent{Time: t, PID: pid}
	switch eventID {
	case 11: // FileCreate: creation, or overwrite of an existing file
		ev.Op, ev.Path = OpWrite, data["TargetFilename"]
	case 23, 26: // FileDelete (archived), FileDeleteDetected
		ev.Op, ev.Path = OpDelete, data["TargetFilename"]
	case 2: // file creation time changed (timestomping during encryption)
		ev.Op, ev.Path = OpWrite, data["TargetFilename"]
	case 1: // process creation
		ev.Op, ev.Path, ev.Cmdline = OpExec, data["Image"], data["CommandLine"]
	default:
		return rec
	}
	rec.Event = ev
	rec.OK = ev.Path != "" && pid > 0
	return rec
}

func parseSysmonTime(s string) time.Time {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02 15:04:05.000", time.RFC3339Nano, "2006-01-02T15:04:05.0000000Z"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}
