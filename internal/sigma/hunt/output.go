package hunt

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Formats lists the output formats.
var Formats = []string{"table", "csv", "jsonl"}

// Write prints the alerts in a format: table (aligned columns for people),
// csv, or jsonl (one alert per line).
func Write(w io.Writer, format string, alerts []Alert) error {
	switch format {
	case "jsonl":
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		for i := range alerts {
			if err := enc.Encode(&alerts[i]); err != nil {
				return fmt.Errorf("write alert: %w", err)
			}
		}
		return nil
	case "csv":
		cw := csv.NewWriter(w)
		_ = cw.Write([]string{"timestamp", "level", "rule_id", "title", "status", "author", "tags", "file", "channel",
			"event_id", "record_id", "computer", "group", "count"})
		for _, a := range alerts {
			count := ""
			if a.Correlation {
				count = strconv.FormatFloat(a.Count, 'f', -1, 64)
			}
			_ = cw.Write([]string{ts(a.Timestamp), a.Level, a.RuleID, a.Title, a.Status, a.Author, strings.Join(a.Tags, " "),
				a.File, a.Channel, a.EventID, a.RecordID, a.Computer, a.Group, count})
		}
		cw.Flush()
		return cw.Error()
	case "table", "":
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "TIMESTAMP\tLEVEL\tRULE\tCOMPUTER\tCHANNEL\tEVENT\tRECORD\tFILE\tDETAIL")
		for _, a := range alerts {
			detail := ""
			if a.Correlation {
				detail = fmt.Sprintf("%s: %s over %d events", a.Group, strconv.FormatFloat(a.Count, 'f', -1, 64), a.Events)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", ts(a.Timestamp), a.Level, clip(a.Title, 60), a.Computer,
				clip(a.Channel, 40), a.EventID, a.RecordID, clip(filepath.Base(a.File), 40), detail)
		}
		return tw.Flush()
	}
	return fmt.Errorf("unknown format %q (want table, csv or jsonl)", format)
}

func ts(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}

// Summary counts alerts per rule, level, host and ATT&CK technique.
type Summary struct {
	ByLevel     map[string]int
	ByRule      []Count
	ByHost      []Count
	ByTechnique []Count
}

// Count is one row of a summary.
type Count struct {
	Key, Label string
	N          int
}

// Summarise counts the alerts.
func Summarise(alerts []Alert) Summary {
	s := Summary{ByLevel: map[string]int{}}
	rules, titles, hosts, techs := map[string]int{}, map[string]string{}, map[string]int{}, map[string]int{}
	for _, a := range alerts {
		s.ByLevel[a.Level]++
		rules[a.RuleID]++
		titles[a.RuleID] = a.Title
		hosts[a.Computer]++
		for _, t := range a.Tags {
			if lt := strings.ToLower(t); strings.HasPrefix(lt, "attack.t") && len(lt) > 9 && lt[8] >= '0' && lt[8] <= '9' {
				techs[strings.ToUpper(lt[len("attack."):])]++
			}
		}
	}
	s.ByRule = top(rules, titles)
	s.ByHost = top(hosts, nil)
	s.ByTechnique = top(techs, nil)
	return s
}

func top(m map[string]int, labels map[string]string) []Count {
	out := make([]Count, 0, len(m))
	for k, n := range m {
		out = append(out, Count{Key: k, Label: labels[k], N: n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].N != out[j].N {
			return out[i].N > out[j].N
		}
		return out[i].Key < out[j].Key
	})
	return out
}

// WriteSummary prints the summary tables (at most limit rows each).
func WriteSummary(w io.Writer, s Summary, st Stats, limit int) {
	fmt.Fprintf(w, "\nHunted %d files, %d events (%d outside the time range, %d errors) in %s",
		st.Files, st.Events, st.Skipped, st.Errors, st.Elapsed.Round(time.Millisecond))
	if sec := st.Elapsed.Seconds(); sec > 0 {
		fmt.Fprintf(w, " (%.0f events/s)", float64(st.Events)/sec)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, "\nAlerts by level:")
	for _, l := range []string{"critical", "high", "medium", "low", "informational"} {
		fmt.Fprintf(tw, "  %s %d", l, s.ByLevel[l])
	}
	fmt.Fprintln(tw)
	section := func(title string, rows []Count) {
		if len(rows) == 0 {
			return
		}
		fmt.Fprintf(tw, "\n%s\tALERTS\n", title)
		for i, r := range rows {
			if i == limit {
				fmt.Fprintf(tw, "(%d more)\t\n", len(rows)-limit)
				break
			}
			k := r.Key
			if r.Label != "" {
				k = clip(r.Label, 70)
			}
			if k == "" {
				k = "-"
			}
			fmt.Fprintf(tw, "%s\t%d\n", k, r.N)
		}
	}
	section("RULE", s.ByRule)
	section("HOST", s.ByHost)
	section("TECHNIQUE", s.ByTechnique)
	tw.Flush()
}
