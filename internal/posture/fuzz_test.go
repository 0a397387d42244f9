package posture

import (
	"encoding/json"
	"testing"

	"github.com/medshield/medshield/internal/event"
)

// FuzzInventory feeds arbitrary host.packages events (as the server
// decodes them from an agent) to Inventory: it must never panic and every
// package it returns must have a name.
func FuzzInventory(f *testing.F) {
	ev, err := Event(synthetic(3), nil)
	if err != nil {
		f.Fatal(err)
	}
	b, _ := json.Marshal(&ev)
	f.Add(b)
	f.Add([]byte(`{"event.dataset":"host.packages","fields":{"os":{"family":"windows","build":"x"},"packages":["a",7,"b\t1\t\t\tdpkg\tGo"],"files":["srv.sys"]}}`))
	f.Add([]byte(`{"event.dataset":"host.packages","fields":{"os":[1,2],"hotfixes":"KB1"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var ev event.Event
		if json.Unmarshal(data, &ev) != nil {
			return
		}
		inv, err := Inventory(ev)
		if err != nil {
			return
		}
		for _, p := range inv.Packages {
			if p.Name == "" {
				t.Fatalf("package without a name: %+v", p)
			}
		}
	})
}

// BenchmarkEventRoundTrip builds and decodes the event of a 2,000-package
// host (agent encode + server decode, without the wire's gzip).
func BenchmarkEventRoundTrip(b *testing.B) {
	inv := synthetic(2000)
	b.ReportAllocs()
	for b.Loop() {
		ev, err := Event(inv, nil)
		if err != nil {
			b.Fatal(err)
		}
		raw, _ := json.Marshal(&ev)
		var back event.Event
		if err := json.Unmarshal(raw, &back); err != nil {
			b.Fatal(err)
		}
		if _, err := Inventory(back); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(raw)))
	}
}
