package main

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/medshield/medshield/internal/sigma"
	"github.com/medshield/medshield/internal/sigma/hunt"
)

func cmdHunt() command {
	return command{name: "hunt", summary: "hunt EVTX files and JSON-lines logs with Sigma rules", run: runHunt}
}

func runHunt(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "hunt", "hunt --sigma DIR[,DIR]|FILE [--mapping FILE] [--from T] [--to T] [--format table|csv|jsonl] [--level L] PATH...", `
Runs Sigma rules over Windows event logs (.evtx) and JSON-lines logs, files
or folders (searched recursively for .evtx, .json, .jsonl and .ndjson), on
all cores. Alerts are printed in a fixed order — by file, then record, then
rule — followed by correlation alerts in time order, so two runs give the
same output. Every alert names the rule's id, title, level, status, author
and tags, and the event's file, channel, event id, record id, time and
computer; jsonl alerts also carry the whole matching event, correlation
alerts the group and the count.

Rules that cannot be used are skipped and counted; 'medshield rules check
--sigma DIR' prints the reason for each. A summary (alerts per level, rule,
host and ATT&CK technique) follows the table on standard output, or goes to
standard error with --format csv or jsonl. A progress line is shown on
standard error when it is a terminal.

Times for --from and --to: 2006-01-02, 2006-01-02T15:04:05 (UTC) or RFC 3339.
Exit status: 0 when the hunt ran (with or without alerts), 1 on errors
(unreadable rules or paths, interrupted), 2 on usage errors.

Example:
  medshield hunt --sigma rules/windows --level high --format jsonl logs/`)
	var sigmaPaths stringList
	fs.Var(&sigmaPaths, "sigma", "Sigma rule directory or file (repeatable, or comma-separated)")
	mapping := fs.String("mapping", "", "logsource mapping file (default: the embedded rules/sigma/mapping/logsources.yml)")
	from := fs.String("from", "", "only events at or after this time")
	to := fs.String("to", "", "only events before this time")
	format := fs.String("format", "table", "output format: table, csv or jsonl")
	level := fs.String("level", "", "minimum rule level: informational, low, medium, high or critical")
	workers := fs.Int("workers", 0, "worker goroutines (default: all cores)")
	noEvent := fs.Bool("no-event", false, "leave the matching event out of jsonl alerts")
	quiet := fs.Bool("quiet", false, "no summary and no progress")
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	if len(sigmaPaths) == 0 || fs.NArg() == 0 {
		fmt.Fprintln(e.stderr, "hunt: give --sigma rules and at least one PATH to hunt")
		return errUsage
	}
	if *format != "table" && *format != "csv" && *format != "jsonl" {
		fmt.Fprintf(e.stderr, "hunt: unknown --format %q (want table, csv or jsonl)\n", *format)
		return errUsage
	}
	if *level != "" && !hunt.ValidLevel(*level) {
		fmt.Fprintf(e.stderr, "hunt: unknown --level %q\n", *level)
		return errUsage
	}
	opts := hunt.Options{MinLevel: strings.ToLower(*level), Workers: *workers, NoEvent: *noEvent}
	var err error
	if opts.From, err = parseHuntTime(*from); err != nil {
		fmt.Fprintf(e.stderr, "hunt: --from: %v\n", err)
		return errUsage
	}
	if opts.To, err = parseHuntTime(*to); err != nil {
		fmt.Fprintf(e.stderr, "hunt: --to: %v\n", err)
		return errUsage
	}
	rs, diags, err := loadSigma(sigmaPaths, *mapping)
	if err != nil {
		return err
	}
	e.log.Info("sigma rules loaded", "component", "hunt", "rules", rs.Stats.Loaded,
		"correlations", rs.Stats.Correlation, "rejected", rs.Stats.Rejected)
	if n := len(diags.Errors()); n > 0 && !*quiet {
		fmt.Fprintf(e.stderr, "hunt: %d rule document(s) rejected; 'medshield rules check --sigma ...' lists the reasons\n", rs.Stats.Rejected)
	}
	if os.Getenv("GOGC") == "" {
		// The live heap is the rule set plus units in flight, independent
		// of log size; trading some memory for fewer collections makes the
		// hunt about 12% faster (docs/performance/sigma.md).
		defer debug.SetGCPercent(debug.SetGCPercent(300))
	}
	opts.Rules = rs
	opts.OnError = func(file string, err error) {
		e.log.Warn("skipped damaged input", "component", "hunt", "file", file, "err", err)
	}
	if f, ok := e.stderr.(*os.File); ok && !*quiet && huntTerminal(f) {
		last := time.Time{}
		opts.Progress = func(done, total int64) {
			if now := time.Now(); now.Sub(last) > 200*time.Millisecond || done == total {
				last = now
				pct := 100.0
				if total > 0 {
					pct = 100 * float64(done) / float64(total)
				}
				fmt.Fprintf(f, "\rhunting: %5.1f%% of %d MB", pct, total>>20)
				if done == total {
					fmt.Fprint(f, "\r\033[K")
				}
			}
		}
	}
	res, err := hunt.Run(ctx, fs.Args(), opts)
	if err != nil {
		return err
	}
	if err := hunt.Write(e.stdout, *format, res.Alerts); err != nil {
		return err
	}
	if !*quiet {
		w := e.stdout
		if *format != "table" {
			w = e.stderr
		}
		hunt.WriteSummary(w, hunt.Summarise(res.Alerts), res.Stats, 15)
	}
	return nil
}

// loadSigma loads rules with the embedded or given mapping.
func loadSigma(paths []string, mappingFile string) (*sigma.RuleSet, sigma.Diagnostics, error) {
	var opts sigma.Options
	if mappingFile != "" {
		data, err := os.ReadFile(mappingFile)
		if err != nil {
			return nil, nil, fmt.Errorf("read mapping: %w", err)
		}
		m, err := sigma.ParseMapping(mappingFile, data)
		if err != nil {
			return nil, nil, err
		}
		opts.Mapping = m
	}
	return sigma.LoadPaths(paths, opts)
}

func parseHuntTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, l := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time (want 2006-01-02, 2006-01-02T15:04:05 or RFC 3339)", s)
}

// huntTerminal reports whether f is a character device (a terminal).
func huntTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
