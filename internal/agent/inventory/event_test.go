package inventory

import (
	"testing"
	"time"

	"github.com/medshield/medshield/internal/event"
	"github.com/medshield/medshield/internal/wire"
)

func TestInventoryEventSurvivesTheWire(t *testing.T) {
	inv := Inventory{Hostname: "ward3-pc", OSName: "Debian GNU/Linux", OSVersion: "12", OSFamily: "linux",
		OSPlatform: "debian", OSFull: "Debian GNU/Linux 12 (bookworm)", Kernel: "6.1.0", Architecture: "amd64",
		IPs: []string{"10.3.0.17"}, MACs: []string{"52:54:00:12:34:56"}, CPUModel: "AMD EPYC", CPUCount: 2,
		MemoryBytes: 8 << 30, BootTime: time.Date(2026, 11, 1, 7, 0, 0, 0, time.UTC), Users: []string{"root", "nurse1"}}
	ev := inv.Event()
	if ev.Kind != event.KindState || ev.Dataset != Dataset || ev.HostName != "ward3-pc" {
		t.Fatalf("event header %+v", ev)
	}
	body, err := wire.Encode([]event.Event{ev})
	if err != nil {
		t.Fatal(err)
	}
	evs, err := wire.DecodeBytes(body, wire.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	flat := evs[0].Flatten()
	for field, want := range map[string]any{
		"host.os.name": "Debian GNU/Linux", "host.os.version": "12", "host.os.kernel": "6.1.0",
		"host.cpu.model": "AMD EPYC", "host.cpu.count": float64(2), "host.memory.total": float64(8 << 30),
		"host.boot.time": "2026-11-01T07:00:00Z", "event.dataset": "host.inventory",
	} {
		if flat[field] != want {
			t.Errorf("%s = %#v, want %#v", field, flat[field], want)
		}
	}
	if u, ok := flat["host.users"].([]string); !ok || len(u) != 2 || u[1] != "nurse1" {
		t.Errorf("host.users = %#v", flat["host.users"])
	}
}
