package server_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/medshield/medshield/internal/event"
	"github.com/medshield/medshield/internal/server"
	"github.com/medshield/medshield/internal/server/servertest"
	"github.com/medshield/medshield/internal/sigma"
	"github.com/medshield/medshield/internal/store"
	"github.com/medshield/medshield/internal/wire"
)

const shadowCopyRule = `title: Shadow Copies Deletion Using Operating Systems Utilities
id: c947b146-0abc-4c87-9c64-b17e9d7274a2
status: stable
author: Florian Roth (Nextron Systems), Test Author
level: high
tags:
  - attack.impact
  - attack.t1490
logsource:
  category: process_creation
  product: windows
detection:
  selection:
    Image|endswith: '\vssadmin.exe'
    CommandLine|contains|all:
      - 'delete'
      - 'shadows'
  condition: selection
`

func TestSigmaDetectionOnIngest(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "shadow.yml"), []byte(shadowCopyRule), 0o644); err != nil {
		t.Fatal(err)
	}
	det, diags, err := server.NewSigmaDetector([]string{dir}, sigma.Options{})
	if err != nil || len(diags) != 0 {
		t.Fatalf("load: %v %v", err, diags)
	}
	s := servertest.Start(t, func(c *server.Config) { c.Detectors = []server.Detector{det} })
	a := enroll(t, s, s.CreateToken(t, "H", "D", 1, "1h"))

	win := func(image, cmd string) event.Event {
		ev := event.New(event.KindEvent, "windows.sysmon", "process_creation")
		ev.Fields = map[string]any{
			"Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": "1",
			"Provider_Name": "Microsoft-Windows-Sysmon", "Image": image, "CommandLine": cmd,
		}
		return ev
	}
	// The same activity shipped with ECS names (process.*, winlog.*).
	ecs := event.New(event.KindEvent, "windows.sysmon", "process_creation")
	ecs.Process = &event.Process{Executable: `C:\Windows\System32\vssadmin.exe`, CommandLine: `vssadmin delete shadows /for=c:`}
	ecs.Fields = map[string]any{"winlog.channel": "Microsoft-Windows-Sysmon/Operational", "winlog.event_id": "1"}
	evs := []event.Event{
		win(`C:\Windows\System32\vssadmin.exe`, `vssadmin.exe Delete Shadows /All /Quiet`),
		win(`C:\Windows\System32\vssadmin.exe`, `vssadmin.exe list shadows`),
		win(`C:\Windows\notepad.exe`, `notepad.exe delete shadows.txt`),
		ecs,
	}
	body, _ := wire.Encode(evs)
	for i := 0; i < 2; i++ { // the retry must not duplicate the alert
		code, resp := postBatch(t, a.client, s.URL, body)
		if code != 200 {
			t.Fatalf("%d %s", code, resp)
		}
	}
	page, err := s.Store.QueryEvents(context.Background(), store.EventQuery{Kind: event.KindAlert})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Events) != 2 {
		b, _ := json.Marshal(page.Events)
		t.Fatalf("want exactly two alerts (Sigma-view and ECS event), got %d: %s", len(page.Events), b)
	}
	bySource := map[string]event.Event{}
	for _, a := range page.Events {
		bySource[a.Labels["source.event.id"]] = a
	}
	if _, ok := bySource[ecs.ID]; !ok {
		t.Fatal("no alert for the ECS-named event")
	}
	al, ok := bySource[evs[0].ID]
	if !ok {
		t.Fatal("no alert for the Sigma-view event")
	}
	if al.Rule == nil || al.Rule.ID != "c947b146-0abc-4c87-9c64-b17e9d7274a2" || al.Rule.Author == "" || al.Rule.Level != "high" {
		t.Fatalf("alert rule metadata: %+v", al.Rule)
	}
	if al.Labels["source.event.id"] != evs[0].ID || al.Organization != "H" || al.Severity != event.SeverityHigh {
		t.Fatalf("alert: %+v", al)
	}
	if len(al.Techniques) != 1 || al.Techniques[0] != "T1490" {
		t.Fatalf("techniques %v", al.Techniques)
	}
}
