package event

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestNewIDIsTimeOrderedUUIDv7(t *testing.T) {
	a, b := NewID(), NewID()
	u, err := uuid.Parse(a)
	if err != nil || u.Version() != 7 {
		t.Fatalf("%s: version %d, %v", a, u.Version(), err)
	}
	if a == b {
		t.Fatal("two ids are equal")
	}
	// Time-ordered: ids made one after another sort in creation order
	// (stores page by id within a timestamp).
	prev := NewID()
	for i := 0; i < 10000; i++ {
		id := NewID()
		if id <= prev {
			t.Fatalf("id %d %s sorts before its predecessor %s", i, id, prev)
		}
		prev = id
	}
}

func TestValidate(t *testing.T) {
	good := New(KindEvent, "test", "x")
	cases := []struct {
		name string
		mut  func(*Event)
		want error
	}{
		{"good", func(*Event) {}, nil},
		{"no id", func(e *Event) { e.ID = "" }, ErrMissingID},
		{"bad id", func(e *Event) { e.ID = "not-a-uuid" }, ErrBadID},
		{"bad kind", func(e *Event) { e.Kind = "metric" }, ErrBadKind},
		{"no time", func(e *Event) { e.Timestamp = time.Time{} }, ErrNoTimestamp},
		{"severity", func(e *Event) { e.Severity = 101 }, ErrSeverity},
		{"huge message", func(e *Event) { e.Message = strings.Repeat("x", MaxFieldLen+1) }, ErrTooLarge},
		{"huge command line", func(e *Event) { e.Process = &Process{CommandLine: strings.Repeat("x", MaxFieldLen+1)} }, ErrTooLarge},
		{"too many labels", func(e *Event) {
			e.Labels = map[string]string{}
			for i := 0; i <= MaxLabels; i++ {
				e.Labels[NewID()] = "v"
			}
		}, ErrTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ev := good
			tc.mut(&ev)
			if err := ev.Validate(); !errors.Is(err, tc.want) {
				t.Fatalf("Validate() = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestFlattenUsesDottedECSNames(t *testing.T) {
	ev := New(KindAlert, "sigma", "match")
	ev.Process = &Process{PID: 42, Name: "powershell.exe"}
	ev.Labels = map[string]string{"score": "100"}
	ev.Fields = map[string]any{"EventID": 4688, "winlog.channel": "Security"}
	ev.Techniques = []string{"T1059"}
	f := ev.Flatten()
	for k, want := range map[string]any{
		"process.name": "powershell.exe", "process.pid": float64(42), "labels.score": "100",
		"EventID": float64(4688), "winlog.channel": "Security", "event.kind": "alert",
	} {
		if f[k] != want {
			t.Errorf("%s = %#v, want %#v", k, f[k], want)
		}
	}
	if got, ok := f["threat.technique.id"].([]string); !ok || len(got) != 1 || got[0] != "T1059" {
		t.Errorf("threat.technique.id = %#v", f["threat.technique.id"])
	}
	if ev.Get("process.name") != "powershell.exe" {
		t.Error("Get")
	}
}

func TestJSONRoundTrip(t *testing.T) {
	ev := New(KindState, "host.inventory", "inventory")
	ev.Severity = SeverityFromLevel("high")
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"event.kind":"state"`) {
		t.Fatalf("dotted names missing: %s", b)
	}
	var back Event
	if err := json.Unmarshal(b, &back); err != nil || back.ID != ev.ID || back.Severity != SeverityHigh {
		t.Fatalf("round trip: %+v %v", back, err)
	}
}
