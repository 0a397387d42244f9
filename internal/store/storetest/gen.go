package storetest

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"

	"github.com/medshield/medshield/internal/event"
)

// Vocabulary of generated events; small so that every filter value matches
// several events.
var (
	hosts   = []string{"host-a", "host-b", "host-c", "host-d"}
	orgs    = []string{"general-hospital", "children-hospital"}
	units   = []string{"radiology", "icu", "pharmacy"}
	kinds   = []string{event.KindEvent, event.KindEvent, event.KindEvent, event.KindAlert, event.KindState}
	rules   = []string{"", "", "sigma-1", "sigma-2", "yara-7"}
	msgs    = []string{"Login failed for user", "ERROR: disk full", "process started", "100% CPU on a_b", "患者数据访问", "ok"}
	cmds    = []string{`C:\Windows\System32\cmd.exe /c whoami`, "/usr/bin/ssh -p 22 root@10.0.0.1", "notepad.exe"}
	techs   = [][]string{nil, {"T1059"}, {"T1059", "T1021.001"}, {"T1486"}}
	domains = []string{"example.org", "evil.test", "hospital.local"}
)

// GenEvents returns n deterministic, varied events. Timestamps advance by
// one millisecond every 3 events, so many events share a timestamp and
// ordering must fall back to insertion order.
func GenEvents(seed uint64, n int) []event.Event {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	out := make([]event.Event, n)
	for i := range out {
		e := event.Event{
			Timestamp:    base.Add(time.Duration(i/3) * time.Millisecond),
			ID:           uuidFrom(r),
			Kind:         kinds[r.IntN(len(kinds))],
			Category:     "test",
			Action:       fmt.Sprintf("action-%d", r.IntN(5)),
			Severity:     r.IntN(101),
			Dataset:      "storetest",
			HostID:       hosts[r.IntN(len(hosts))],
			Organization: orgs[r.IntN(len(orgs))],
			Unit:         units[r.IntN(len(units))],
			Message:      msgs[r.IntN(len(msgs))],
		}
		e.HostName = e.HostID + ".local"
		if rid := rules[r.IntN(len(rules))]; rid != "" {
			e.Rule = &event.Rule{ID: rid, Name: "rule " + rid, Tags: []string{"attack.execution"}}
		}
		if r.IntN(2) == 0 {
			e.Process = &event.Process{PID: 100 + r.IntN(5), PPID: 1, Name: "proc", CommandLine: cmds[r.IntN(len(cmds))]}
		}
		e.Techniques = techs[r.IntN(len(techs))]
		if r.IntN(3) == 0 {
			e.Labels = map[string]string{"env": []string{"prod", "test"}[r.IntN(2)], "team.name": "soc"}
		}
		if r.IntN(2) == 0 {
			e.Fields = map[string]any{
				"winlog.event_data.LogonType": float64(2 + r.IntN(3)),
				"winlog.channel":              "Security",
				"flag":                        r.IntN(2) == 0,
				"dns":                         nil,
				"nested":                      map[string]any{"deep": map[string]any{"key": domains[r.IntN(len(domains))]}},
			}
			delete(e.Fields, "dns")
		}
		if r.IntN(4) == 0 {
			e.Destination = &event.Endpoint{IP: "10.0.0." + fmt.Sprint(r.IntN(3)), Port: 443, Domain: domains[r.IntN(len(domains))]}
		}
		if r.IntN(5) == 0 {
			e.Raw = json.RawMessage(`{"EventID":4625,"Channel":"Security"}`)
		}
		out[i] = e
	}
	return out
}

func uuidFrom(r *rand.Rand) string {
	var b [16]byte
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	b[6] = b[6]&0x0f | 0x70 // version 7 layout is enough for validation
	b[8] = b[8]&0x3f | 0x80
	return uuid.UUID(b).String()
}

// roundTrip is what a store must give back: the event after a JSON
// encode/decode (the store keeps the event's JSON).
func roundTrip(e event.Event) event.Event {
	b, err := json.Marshal(e)
	if err != nil {
		panic(err)
	}
	var out event.Event
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return out
}

func jsonOf(e event.Event) string {
	b, err := json.Marshal(e)
	if err != nil {
		return "<" + err.Error() + ">"
	}
	return string(b)
}
