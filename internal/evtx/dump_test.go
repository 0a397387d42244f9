package evtx

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDumpWritesOneJSONRecordPerLineAndXML(t *testing.T) {
	bad := buildChunk(sysmonLike)
	copy(bad, "XXXXXXXX")
	path := filepath.Join(t.TempDir(), "x.evtx")
	if err := os.WriteFile(path, buildFile(buildChunk(sysmonLike, sysmonLike), bad), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	var problems []error
	st, err := Dump(context.Background(), &out, path, FormatJSONL, func(err error) { problems = append(problems, err) })
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if st.Records != 2 || len(lines) != 2 || st.Errors != 1 || len(problems) != 1 || !strings.Contains(problems[0].Error(), path) {
		t.Fatalf("stats %+v, %d lines, problems %v", st, len(lines), problems)
	}
	var m map[string]map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &m); err != nil {
		t.Fatal(err)
	}
	if m["System"]["EventID"] != "1" || m["EventData"]["LogonId"] != "0x3e7" {
		t.Errorf("first line = %s", lines[0])
	}

	out.Reset()
	st, err = Dump(context.Background(), &out, path, FormatXML, nil)
	if err != nil || st.Records != 2 || strings.Count(out.String(), "<Event xmlns=") != 2 {
		t.Fatalf("xml: %v, stats %+v:\n%s", err, st, out.String())
	}

	if _, err := Dump(context.Background(), &out, path, "csv", nil); err == nil {
		t.Error("unknown format accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Dump(ctx, &out, path, FormatXML, nil); err == nil {
		t.Error("cancelled context not honoured")
	}
}
