package hunt

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/medshield/medshield/internal/corpus"
	"github.com/medshield/medshield/internal/sigma"
)

// TestS2RegressionSamplesEVTX runs each SigmaHQ regression rule over its
// .evtx sample through our EVTX reader: the rule must match at least
// expected_match_count records.
func TestS2RegressionSamplesEVTX(t *testing.T) {
	root := corpus.Dir(t, "sigma")
	f, err := os.Open(filepath.Join(root, "manifest.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	rows, pass := 0, 0
	for first := true; sc.Scan(); first = false {
		c := strings.Split(sc.Text(), "\t")
		if first || len(c) < 8 {
			continue
		}
		rows++
		want := 1
		if c[7] != "" {
			if want, err = strconv.Atoi(c[7]); err != nil {
				t.Fatal(err)
			}
		}
		rs, diags, err := sigma.LoadPaths([]string{filepath.Join(root, c[0])}, sigma.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if errs := diags.Errors(); len(errs) > 0 {
			t.Errorf("%s: rejected: %v", c[0], errs[0])
			continue
		}
		res, err := Run(context.Background(), []string{filepath.Join(root, c[5])}, Options{Rules: rs, Workers: 1, NoEvent: true})
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for _, a := range res.Alerts {
			if a.RuleID == c[1] {
				got++
			}
		}
		if got < want {
			t.Errorf("%s: matched %d of %d records, want >= %d", c[0], got, res.Stats.Events, want)
			continue
		}
		pass++
	}
	t.Logf("S2 (EVTX samples through internal/evtx): %d/%d regression tests pass", pass, rows)
}

// TestCorrelationExamples checks corpora/sigma/correlation-examples/
// expected.tsv: Hayabusa's correlation rules over the DeepBlueCLI samples.
func TestCorrelationExamples(t *testing.T) {
	root := corpus.Dir(t, "sigma/correlation-examples")
	samples := corpus.Dir(t, "evtx/samples")
	hunt := func(rule, sample string) []Alert {
		t.Helper()
		rs, diags, err := sigma.LoadPaths([]string{filepath.Join(root, rule)}, sigma.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := diags.Err(); err != nil {
			t.Fatalf("%s: %v", rule, err)
		}
		res, err := Run(context.Background(), []string{filepath.Join(samples, sample)}, Options{Rules: rs, NoEvent: true})
		if err != nil {
			t.Fatal(err)
		}
		var out []Alert
		for _, a := range res.Alerts {
			if a.Correlation {
				out = append(out, a)
			}
		}
		return out
	}
	t.Run("pw-spray-4648", func(t *testing.T) {
		as := hunt("hayabusa-rules/Sec_4648_Med_ExplicitLogon_PW-Spray_Correlation.yml", "deepbluecli/password-spray.evtx")
		found := false
		for _, a := range as {
			t.Logf("alert: %s count=%v events=%d first=%v", a.Group, a.Count, a.Events, a.First)
			if strings.Contains(a.Group, "IpAddress=172.16.144.128") && strings.Contains(a.Group, "DESKTOP-JR78RLP") && a.Count >= 5 {
				found = true
			}
		}
		if !found {
			t.Errorf("no alert for IpAddress=172.16.144.128 on DESKTOP-JR78RLP with >= 5 distinct users; got %d alerts", len(as))
		}
	})
	t.Run("pw-spray-no-4648", func(t *testing.T) {
		if as := hunt("hayabusa-rules/Sec_4648_Med_ExplicitLogon_PW-Spray_Correlation.yml", "deepbluecli/new-user-security.evtx"); len(as) != 0 {
			t.Errorf("got %d alerts, want 0: %+v", len(as), as)
		}
	})
	t.Run("smb-password-guessing-4625", func(t *testing.T) {
		as := hunt("hayabusa-rules/Sec_4625_Med_LogonFail_WrongPW_PW-Guessing_Correlation.yml", "deepbluecli/smb-password-guessing-security.evtx")
		if len(as) != 1 {
			t.Fatalf("got %d alerts, want exactly 1: %+v", len(as), as)
		}
		a := as[0]
		want := time.Date(2016, 9, 19, 16, 50, 6, 513129600, time.UTC)
		if a.Count != 3558 || !a.First.Equal(want) || !strings.Contains(a.Group, "IpAddress=192.168.198.149") ||
			!strings.HasSuffix(a.Group, "LogonProcessName=NtLmSsp ") {
			t.Errorf("alert %q count=%v first=%v, want count 3558 from IpAddress=192.168.198.149 (LogonProcessName \"NtLmSsp \") first %v",
				a.Group, a.Count, a.First, want)
		}
	})
	// The expectations file must still describe these three cases.
	data, err := os.ReadFile(filepath.Join(root, "expected.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(data, []byte("\n")); n < 4 {
		t.Errorf("expected.tsv has %d lines; the cases above may be stale", n)
	}
}

// TestJSONLinesHuntWritesEveryRequiredField hunts a JSON sample and checks
// the jsonl output carries the fields the issue requires.
func TestJSONLinesHuntWritesEveryRequiredField(t *testing.T) {
	root := corpus.Dir(t, "sigma")
	rule := filepath.Join(root, "rules-emerging-threats/2025/Malware/Shai-Hulud/proc_creation_win_mal_shai_hulud_malicious_node_bun_execution.yml")
	sample := filepath.Join(root, "regression_data/rules-emerging-threats/2025/Malware/Shai-Hulud/proc_creation_win_mal_shai_hulud_malicious_node_bun_execution/5299fadf-f228-4526-8274-251db1960be9.json")
	rs, _, err := sigma.LoadPaths([]string{rule}, sigma.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), []string{sample}, Options{Rules: rs})
	if err != nil {
		t.Fatal(err)
	}
	// Six process creations under node.exe; only the one running bun.exe
	// with bun_environment.js matches.
	if len(res.Alerts) != 1 || res.Stats.Events != 6 {
		t.Fatalf("got %d alerts from %d events, want 1 from 6", len(res.Alerts), res.Stats.Events)
	}
	if !strings.HasSuffix(res.Alerts[0].Event["Image"].(string), `\bun.exe`) {
		t.Errorf("alert on the wrong event: %v", res.Alerts[0].Event["Image"])
	}
	var buf bytes.Buffer
	if err := Write(&buf, "jsonl", res.Alerts); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	var prev int
	for i, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"rule_id", "title", "level", "status", "author", "tags", "file", "channel", "event_id", "record_id", "timestamp", "computer", "event"} {
			if v, ok := m[k]; !ok || v == "" || v == nil {
				t.Errorf("line %d: field %q missing or empty", i+1, k)
			}
		}
		rec, _ := strconv.Atoi(m["record_id"].(string))
		if rec < prev {
			t.Errorf("alerts not in record order: %d after %d", rec, prev)
		}
		prev = rec
	}
}

// TestCancelledHuntStopsAndLeaksNoGoroutine: a cancelled hunt returns the
// context's error and every worker has exited.
func TestCancelledHuntStopsAndLeaksNoGoroutine(t *testing.T) {
	samples := corpus.Dir(t, "evtx/samples")
	rs, _, err := sigma.LoadPaths([]string{filepath.Join(corpus.Dir(t, "sigma"), "rules/windows/builtin/security")}, sigma.Options{})
	if err != nil {
		t.Fatal(err)
	}
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, []string{samples}, Options{Rules: rs, Workers: 4}); err != context.Canceled {
		t.Errorf("got %v, want context.Canceled", err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after the hunt, %d before", n, before)
	}
}

// TestHuntOrderDoesNotDependOnWorkers: one worker and four give the same
// alerts in the same order.
func TestHuntOrderDoesNotDependOnWorkers(t *testing.T) {
	samples := corpus.Dir(t, "evtx/samples")
	rs, _, err := sigma.LoadPaths([]string{filepath.Join(corpus.Dir(t, "sigma"), "rules/windows/process_creation")}, sigma.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var outs [2]string
	for i, w := range []int{1, 4} {
		res, err := Run(context.Background(), []string{filepath.Join(samples, "evtx-attack-samples")}, Options{Rules: rs, Workers: w, NoEvent: true})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := Write(&buf, "csv", res.Alerts); err != nil {
			t.Fatal(err)
		}
		outs[i] = buf.String()
		if len(res.Alerts) < 10 {
			t.Fatalf("only %d alerts: the comparison would prove little", len(res.Alerts))
		}
	}
	if outs[0] != outs[1] {
		t.Errorf("output differs between 1 and 4 workers")
	}
}

// TestTimeRangeAndLevelFilters: --from/--to skip events outside [from, to)
// and --level drops lower alerts.
func TestTimeRangeAndLevelFilters(t *testing.T) {
	samples := corpus.Dir(t, "evtx/samples")
	rs, _, err := sigma.LoadPaths([]string{filepath.Join(corpus.Dir(t, "sigma"), "rules/windows/builtin/security")}, sigma.Options{})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(samples, "deepbluecli/smb-password-guessing-security.evtx")
	all, err := Run(context.Background(), []string{file}, Options{Rules: rs, NoEvent: true})
	if err != nil {
		t.Fatal(err)
	}
	from := time.Date(2016, 9, 19, 16, 51, 0, 0, time.UTC)
	to := time.Date(2016, 9, 19, 16, 52, 0, 0, time.UTC)
	some, err := Run(context.Background(), []string{file}, Options{Rules: rs, NoEvent: true, From: from, To: to})
	if err != nil {
		t.Fatal(err)
	}
	if some.Stats.Skipped == 0 || some.Stats.Events != all.Stats.Events || len(some.Alerts) == 0 || len(some.Alerts) >= len(all.Alerts) {
		t.Fatalf("time range: %d of %d alerts, %d skipped", len(some.Alerts), len(all.Alerts), some.Stats.Skipped)
	}
	for _, a := range some.Alerts {
		if a.Timestamp.Before(from) || !a.Timestamp.Before(to) {
			t.Errorf("alert at %v outside [%v, %v)", a.Timestamp, from, to)
		}
	}
	high, err := Run(context.Background(), []string{file}, Options{Rules: rs, NoEvent: true, MinLevel: "critical"})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range high.Alerts {
		if a.Level != "critical" {
			t.Errorf("alert of level %q with --level critical", a.Level)
		}
	}
	if len(high.Alerts) >= len(all.Alerts) {
		t.Errorf("level filter kept %d of %d alerts", len(high.Alerts), len(all.Alerts))
	}
}
