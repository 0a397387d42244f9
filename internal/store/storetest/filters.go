package storetest

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/medshield/medshield/internal/event"
	"github.com/medshield/medshield/internal/store"
)

func testFilters(t *testing.T, open Opener) {
	s, ctx := open(t), ctxT(t)
	evs := GenEvents(20, 600)
	for i := 0; i < len(evs); i += 100 {
		_, err := s.AppendEvents(ctx, evs[i:i+100])
		mustNil(t, "append", err)
	}
	at := func(i int) time.Time { return evs[i].Timestamp }
	tests := []struct {
		name string
		q    store.EventQuery
	}{
		{"none", store.EventQuery{}},
		{"from", store.EventQuery{From: at(300)}},
		{"to", store.EventQuery{To: at(300)}},
		{"from-to", store.EventQuery{From: at(30), To: at(90)}},
		{"from-to-same-instant", store.EventQuery{From: at(30), To: at(30)}},
		{"from-to-1ns", store.EventQuery{From: at(30), To: at(30).Add(time.Nanosecond)}},
		{"from-future", store.EventQuery{From: base.Add(time.Hour)}},
		{"host", store.EventQuery{HostID: "host-c"}},
		{"host-unknown", store.EventQuery{HostID: "nope"}},
		{"organization", store.EventQuery{Organization: "children-hospital"}},
		{"unit", store.EventQuery{Unit: "icu"}},
		{"org-unit", store.EventQuery{Organization: "general-hospital", Unit: "pharmacy"}},
		{"kind-alert", store.EventQuery{Kind: event.KindAlert}},
		{"kind-state", store.EventQuery{Kind: event.KindState}},
		{"min-severity", store.EventQuery{MinSeverity: 70}},
		{"min-severity-100", store.EventQuery{MinSeverity: 100}},
		{"rule", store.EventQuery{RuleID: "sigma-2"}},
		{"text-case", store.EventQuery{Text: "LOGIN FAILED"}},
		{"text-lower", store.EventQuery{Text: "error: disk"}},
		{"text-percent", store.EventQuery{Text: "0% c"}},
		{"text-underscore", store.EventQuery{Text: "a_b"}},
		{"text-underscore-is-literal", store.EventQuery{Text: "a_c"}},
		{"text-han", store.EventQuery{Text: "数据"}},
		{"field-string", store.EventQuery{Fields: map[string]string{"host.name": "host-a.local"}}},
		{"field-kind", store.EventQuery{Fields: map[string]string{"event.kind": "alert"}}},
		{"field-number", store.EventQuery{Fields: map[string]string{"process.pid": "102"}}},
		{"field-dotted-subkey", store.EventQuery{Fields: map[string]string{"process.parent.pid": "1"}}},
		{"field-backslashes", store.EventQuery{Fields: map[string]string{"process.command_line": cmds[0]}}},
		{"field-array", store.EventQuery{Fields: map[string]string{"threat.technique.id": "T1059"}}},
		{"field-array-2", store.EventQuery{Fields: map[string]string{"threat.technique.id": "T1021.001"}}},
		{"field-nested-array", store.EventQuery{Fields: map[string]string{"rule.tags": "attack.execution"}}},
		{"field-label", store.EventQuery{Fields: map[string]string{"labels.env": "prod"}}},
		{"field-label-dotted", store.EventQuery{Fields: map[string]string{"labels.team.name": "soc"}}},
		{"field-extra-number", store.EventQuery{Fields: map[string]string{"winlog.event_data.LogonType": "3"}}},
		{"field-extra-string", store.EventQuery{Fields: map[string]string{"winlog.channel": "Security"}}},
		{"field-extra-bool", store.EventQuery{Fields: map[string]string{"flag": "true"}}},
		{"field-extra-nested", store.EventQuery{Fields: map[string]string{"nested.deep.key": "evil.test"}}},
		{"field-timestamp", store.EventQuery{Fields: map[string]string{"@timestamp": base.Format(time.RFC3339Nano)}}},
		{"fields-and", store.EventQuery{Fields: map[string]string{"destination.domain": "evil.test", "destination.port": "443"}}},
		{"field-ip", store.EventQuery{Fields: map[string]string{"destination.ip": "10.0.0.1"}}},
		{"field-missing", store.EventQuery{Fields: map[string]string{"no.such.field": "x"}}},
		{"field-object", store.EventQuery{Fields: map[string]string{"process": "proc"}}},
		{"field-injection-value", store.EventQuery{Fields: map[string]string{"message": "x' OR '1'='1"}}},
		{"field-injection-name", store.EventQuery{Fields: map[string]string{`a"b') OR 1=1 --`: "x"}}},
		{"field-nul-value", store.EventQuery{Fields: map[string]string{"message": "ok\x00"}}},
		{"field-bad-utf8-value", store.EventQuery{Fields: map[string]string{"message": "ok\xff"}}},
		{"field-bad-utf8-name", store.EventQuery{Fields: map[string]string{"mess\xffage": "ok"}}},
		{"text-nul", store.EventQuery{Text: "o\x00k"}},
		{"host-bad-utf8", store.EventQuery{HostID: "host-a\xff"}},
		{"combined", store.EventQuery{From: at(60), To: at(540), Organization: "general-hospital",
			Kind: event.KindEvent, MinSeverity: 20, Text: "o", Fields: map[string]string{"labels.team.name": "soc"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := expected(evs, func(e event.Event) bool { return Matches(e, tc.q) })
			q := tc.q
			q.Limit = 7
			got := all(t, s, q)
			gotIDs := make([]string, len(got))
			for i, e := range got {
				gotIDs[i] = e.ID
			}
			wantIDs := make([]string, len(want))
			for i, k := range want {
				wantIDs[i] = evs[k].ID
			}
			if !slices.Equal(gotIDs, wantIDs) {
				t.Fatalf("query %+v: got %d events, want %d\n got %v\nwant %v", tc.q, len(gotIDs), len(wantIDs), head(gotIDs), head(wantIDs))
			}
			countIs(t, s, tc.q, int64(len(want)))
		})
	}
	// The table must exercise real matches, not only empty results.
	for _, name := range []string{"field-number", "field-array", "field-extra-nested", "field-extra-bool", "text-percent", "text-han", "combined"} {
		for _, tc := range tests {
			if tc.name == name && len(expected(evs, func(e event.Event) bool { return Matches(e, tc.q) })) == 0 {
				t.Errorf("test data has no match for %s", name)
			}
		}
	}
}

func head(s []string) []string {
	if len(s) > 8 {
		return s[:8]
	}
	return s
}

// Matches is the reference semantics of EventQuery, on event.Flatten (with
// full Unicode case folding for Text, where SQLite folds ASCII only).
func Matches(e event.Event, q store.EventQuery) bool {
	switch {
	case !q.From.IsZero() && e.Timestamp.Before(q.From),
		!q.To.IsZero() && !e.Timestamp.Before(q.To),
		q.HostID != "" && e.HostID != q.HostID,
		q.Organization != "" && e.Organization != q.Organization,
		q.Unit != "" && e.Unit != q.Unit,
		q.Kind != "" && e.Kind != q.Kind,
		e.Severity < q.MinSeverity,
		q.RuleID != "" && (e.Rule == nil || e.Rule.ID != q.RuleID),
		q.Text != "" && !strings.Contains(strings.ToLower(e.Message), strings.ToLower(q.Text)):
		return false
	}
	flat := e.Flatten()
	for name, want := range q.Fields {
		if !valueMatches(flat[name], want) {
			return false
		}
	}
	return true
}

func valueMatches(v any, want string) bool {
	switch x := v.(type) {
	case string:
		return x == want
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64) == want
	case bool:
		return strconv.FormatBool(x) == want
	case []string:
		return slices.Contains(x, want)
	}
	return false
}
