package wire

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/medshield/medshield/internal/event"
)

func gz(t testing.TB, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func testdata(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func line(id, extra string) string {
	return fmt.Sprintf(`{"@timestamp":"2026-11-29T08:00:00Z","event.id":"%s","event.kind":"event"%s}`, id, extra)
}

const id1 = "0193a1b2-0000-7000-8000-000000000001"

func sampleEvents(n int) []event.Event {
	base := time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC)
	evs := make([]event.Event, n)
	for i := range evs {
		evs[i] = event.Event{
			Timestamp: base.Add(time.Duration(i) * time.Millisecond),
			ID:        event.NewID(),
			Kind:      event.KindEvent,
			Category:  "process",
			Action:    "start",
			Dataset:   "linux.exec",
			HostName:  "ward3-pc",
			Process:   &event.Process{PID: 1000 + i, Name: "bash", CommandLine: fmt.Sprintf("bash -c 'echo %d'", i)},
			User:      &event.User{Name: "nurse1"},
			Labels:    map[string]string{"ward": "3"},
			Fields:    map[string]any{"process.working_directory": "/home/nurse1", "seq": float64(i)},
			Message:   "process started",
		}
	}
	return evs
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	want := sampleEvents(50)
	body, err := Encode(want)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeBytes(body, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("round trip differs:\nwant %+v\ngot  %+v", want[0], got[0])
	}
}

func TestDecodeValidTestdata(t *testing.T) {
	evs, err := DecodeBytes(gz(t, testdata(t, "valid.ndjson")), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 3 {
		t.Fatalf("got %d events, want 3", len(evs))
	}
	// Unknown keys are allowed under fields and labels only.
	if evs[1].Labels["any.key"] != "v" || evs[1].Fields["winlog.event_data.CommandLine"] != "cmd /c whoami" {
		t.Errorf("labels/fields lost: %+v %+v", evs[1].Labels, evs[1].Fields)
	}
	if evs[0].Process == nil || evs[0].Process.PID != 4242 {
		t.Errorf("process not decoded: %+v", evs[0].Process)
	}
}

func TestDecodeRefusesBadBatches(t *testing.T) {
	valid := line(id1, "")
	many := strings.Repeat(valid+"\n", 11)
	tests := []struct {
		name   string
		body   []byte
		lim    Limits
		reason Reason
		line   int
		status int
	}{
		{"empty body", nil, Limits{}, ReasonEmpty, 0, 400},
		{"not gzip", []byte(valid), Limits{}, ReasonBadGzip, 0, 400},
		{"truncated gzip", gz(t, valid+"\n"+valid)[:30], Limits{}, ReasonBadGzip, 0, 400},
		{"garbage after gzip member", append(gz(t, valid+"\n"), "junkjunkjunk"...), Limits{}, ReasonBadGzip, 0, 400},
		{"only blank lines", gz(t, "\n\n  \n"), Limits{}, ReasonEmpty, 0, 400},
		{"body too large", gz(t, many), Limits{MaxBody: 20}, ReasonBodyTooLarge, 0, 413},
		{"too many events", gz(t, many), Limits{MaxEvents: 10}, ReasonTooManyEvents, 11, 413},
		{"line too long", gz(t, valid+"\n"+line(id1, `,"message":"`+strings.Repeat("a", 300)+`"`)), Limits{MaxLine: 200}, ReasonLineTooLong, 2, 413},
		{"decompressed too large", gz(t, many), Limits{MaxDecompressed: 500}, ReasonDecompressedTooLarge, 0, 413},
		{"malformed json", gz(t, valid+"\n{\"event.id\":"), Limits{}, ReasonBadJSON, 2, 400},
		{"unknown top-level field", gz(t, testdata(t, "unknown-field.ndjson")), Limits{}, ReasonBadJSON, 1, 400},
		{"unknown nested field", gz(t, line(id1, `,"process":{"pid":1,"evil":2}`)), Limits{}, ReasonBadJSON, 1, 400},
		{"two objects on a line", gz(t, testdata(t, "trailing.ndjson")), Limits{}, ReasonBadJSON, 1, 400},
		{"array line", gz(t, valid+"\n[1,2]\n"), Limits{}, ReasonBadJSON, 2, 400},
		{"null line", gz(t, "null\n"), Limits{}, ReasonBadJSON, 1, 400},
		{"wrong type", gz(t, line(id1, `,"event.severity":"high"`)), Limits{}, ReasonBadJSON, 1, 400},
		{"bad id", gz(t, valid+"\n"+testdata(t, "bad-id.ndjson")), Limits{}, ReasonInvalidEvent, 2, 400},
		{"bad kind", gz(t, `{"@timestamp":"2026-11-29T08:00:00Z","event.id":"`+id1+`","event.kind":"weird"}`), Limits{}, ReasonInvalidEvent, 1, 400},
		{"missing timestamp", gz(t, `{"event.id":"`+id1+`","event.kind":"event"}`), Limits{}, ReasonInvalidEvent, 1, 400},
		{"severity out of range", gz(t, line(id1, `,"event.severity":101`)), Limits{}, ReasonInvalidEvent, 1, 400},
		{"too many fields", gz(t, line(id1, `,"fields":{"a":1,"b":2,"c":3}`)), Limits{MaxFields: 2}, ReasonInvalidEvent, 1, 400},
		{"huge field value", gz(t, line(id1, `,"fields":{"a":"`+strings.Repeat("x", event.MaxFieldLen)+`"}`)), Limits{}, ReasonInvalidEvent, 1, 400},
		{"huge message", gz(t, line(id1, `,"message":"`+strings.Repeat("x", event.MaxFieldLen+1)+`"`)), Limits{}, ReasonInvalidEvent, 1, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := DecodeBytes(tt.body, tt.lim)
			if evs != nil {
				t.Errorf("got %d events with a refused batch; want none (all or nothing)", len(evs))
			}
			var we *Error
			if !errors.As(err, &we) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if we.Reason != tt.reason || we.Line != tt.line || we.HTTPStatus() != tt.status {
				t.Errorf("got reason=%s line=%d status=%d (%v); want reason=%s line=%d status=%d",
					we.Reason, we.Line, we.HTTPStatus(), err, tt.reason, tt.line, tt.status)
			}
		})
	}
}

func TestDecodeStopsGzipBomb(t *testing.T) {
	// 256 MiB of newlines (blank lines, which Decode skips) compresses to
	// about 250 KiB: a ratio near 1000.
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	zeros := bytes.Repeat([]byte{'\n'}, 1<<20)
	for range 256 {
		zw.Write(zeros)
	}
	zw.Close()
	_, err := DecodeBytes(b.Bytes(), Limits{})
	var we *Error
	if !errors.As(err, &we) || we.Reason != ReasonRatio {
		t.Fatalf("err = %v, want reason %s", err, ReasonRatio)
	}
}

func TestDecodeAcceptsLineEndings(t *testing.T) {
	a, b := line(id1, ""), line("0193a1b2-0000-7000-8000-000000000002", "")
	for name, body := range map[string]string{
		"no final newline": a + "\n" + b,
		"crlf":             a + "\r\n" + b + "\r\n",
		"blank lines":      "\n" + a + "\n\n" + b + "\n\n",
	} {
		evs, err := DecodeBytes(gz(t, body), Limits{})
		if err != nil || len(evs) != 2 {
			t.Errorf("%s: got %d events, err %v; want 2", name, len(evs), err)
		}
	}
}

func TestDecodeHonoursMaxBytesReader(t *testing.T) {
	body := gz(t, strings.Repeat(line(id1, "")+"\n", 100))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 10)
		_, err := Decode(r.Body, Limits{})
		var we *Error
		if !errors.As(err, &we) {
			http.Error(w, "no typed error", 500)
			return
		}
		w.WriteHeader(we.HTTPStatus())
		json.NewEncoder(w).Encode(we.Rejection())
	}))
	defer srv.Close()
	resp, err := http.Post(srv.URL, ContentType, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var rej Rejection
	json.NewDecoder(resp.Body).Decode(&rej)
	if resp.StatusCode != 413 || rej.Reason != ReasonBodyTooLarge {
		t.Fatalf("status %d reason %q, want 413 %s", resp.StatusCode, rej.Reason, ReasonBodyTooLarge)
	}
}

func TestEncodeLinesRefusesNewline(t *testing.T) {
	if _, err := EncodeLines([][]byte{[]byte("{}\n{}")}); err == nil {
		t.Fatal("want error for a line containing a newline")
	}
}

func TestAckJSON(t *testing.T) {
	b, _ := json.Marshal(Ack{Accepted: 3, Duplicates: 1})
	if string(b) != `{"accepted":3,"duplicates":1}` {
		t.Fatalf("ack json = %s", b)
	}
}
