package hunt

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/medshield/medshield/internal/evtx"
	"github.com/medshield/medshield/internal/sigma"
)

// Options configure a hunt.
type Options struct {
	Rules *sigma.RuleSet
	// From and To bound event times (zero: unbounded); To is exclusive.
	From, To time.Time
	// MinLevel drops alerts below this level (informational, low, medium,
	// high, critical); "" keeps all.
	MinLevel string
	// Workers is the number of goroutines; 0 means all cores.
	Workers int
	// Progress, if set, is called from one goroutine with bytes done and
	// total as work completes.
	Progress func(done, total int64)
	// OnError receives problems that were skipped (damaged chunks, bad
	// JSON lines); nil ignores them.
	OnError func(file string, err error)
	// NoEvent leaves the matching event out of alerts (smaller output).
	NoEvent bool
}

// Alert is one detection or correlation alert.
type Alert struct {
	RuleID    string    `json:"rule_id"`
	Title     string    `json:"title"`
	Level     string    `json:"level"`
	Status    string    `json:"status"`
	Author    string    `json:"author"`
	Tags      []string  `json:"tags"`
	File      string    `json:"file"`
	Channel   string    `json:"channel"`
	EventID   string    `json:"event_id"`
	RecordID  string    `json:"record_id"`
	Timestamp time.Time `json:"timestamp"`
	Computer  string    `json:"computer"`
	// Correlation alerts: the group (Field=value, ...), the value the
	// condition judged (count, distinct count, sum...), the events fed
	// and the time of the first event.
	Correlation bool           `json:"correlation,omitempty"`
	Group       string         `json:"group,omitempty"`
	Count       float64        `json:"count,omitempty"`
	Events      int            `json:"events,omitempty"`
	First       *time.Time     `json:"first,omitempty"`
	Event       map[string]any `json:"event,omitempty"`

	fileIdx int
	ord     int64
	rule    int
}

// Stats summarise a hunt.
type Stats struct {
	Files   int           `json:"files"`
	Bytes   int64         `json:"bytes"`
	Events  int64         `json:"events"`
	Skipped int64         `json:"skipped"` // outside --from/--to
	Errors  int64         `json:"errors"`  // damaged chunks, records, lines
	Elapsed time.Duration `json:"elapsed_ns"`
}

// Result is what a hunt found, in deterministic order: detection alerts
// by file, record order and rule; then correlation alerts by time.
type Result struct {
	Alerts []Alert
	Stats  Stats
}

// unit is one piece of work: a range of EVTX chunks or a JSON file.
type unit struct {
	in         input
	chunk, end int
	bytes      int64
}

// unitResult is what a worker returns for a unit.
type unitResult struct {
	alerts []Alert
	obs    []observation
	events int64
	skip   int64
	errs   int64
	bytes  int64
}

// observation is a correlated match kept for the correlation pass.
type observation struct {
	t       time.Time
	fileIdx int
	ord     int64
	ev      sigma.MapEvent
	ms      []sigma.Match
	ref     *Alert
}

const chunksPerUnit = 32 // 2 MiB of EVTX per unit of work

// Run hunts the paths with the rule set.
func Run(ctx context.Context, paths []string, opts Options) (*Result, error) {
	start := time.Now()
	if opts.Rules == nil {
		return nil, fmt.Errorf("hunt: no rules")
	}
	inputs, err := discover(paths)
	if err != nil {
		return nil, err
	}
	var units []unit
	var total int64
	for _, in := range inputs {
		total += in.size
		if in.kind == kindJSON {
			units = append(units, unit{in: in, bytes: in.size})
			continue
		}
		n := int((in.size - 4096 + 65535) / 65536)
		if n < 1 {
			n = 1
		}
		for c := 0; c < n; c += chunksPerUnit {
			end := min(c+chunksPerUnit, n)
			b := int64(end-c) * 65536
			if c == 0 {
				b += 4096
			}
			units = append(units, unit{in: in, chunk: c, end: end, bytes: min(b, in.size)})
		}
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	corr := opts.Rules.NewCorrelator()
	work := make(chan unit)
	results := make(chan unitResult, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hw := &worker{opts: &opts, m: opts.Rules.NewMatcher(), corr: corr}
			for u := range work {
				results <- hw.run(ctx, u)
			}
		}()
	}
	go func() {
		defer close(work)
		for _, u := range units {
			select {
			case work <- u:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()

	res := &Result{}
	res.Stats.Files = len(inputs)
	var obs []observation
	var done int64
	for r := range results {
		res.Alerts = append(res.Alerts, r.alerts...)
		obs = append(obs, r.obs...)
		res.Stats.Events += r.events
		res.Stats.Skipped += r.skip
		res.Stats.Errors += r.errs
		res.Stats.Bytes += r.bytes
		done += r.bytes
		if opts.Progress != nil {
			opts.Progress(done, total)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sort.Slice(res.Alerts, func(i, j int) bool {
		a, b := &res.Alerts[i], &res.Alerts[j]
		if a.fileIdx != b.fileIdx {
			return a.fileIdx < b.fileIdx
		}
		if a.ord != b.ord {
			return a.ord < b.ord
		}
		return a.rule < b.rule
	})
	res.Alerts = append(res.Alerts, correlate(corr, obs, &opts)...)
	res.Stats.Elapsed = time.Since(start)
	return res, nil
}

// correlate feeds the correlated matches in time order (ties in file and
// record order) and turns what fires into alerts.
func correlate(c *sigma.Correlator, obs []observation, opts *Options) []Alert {
	sort.SliceStable(obs, func(i, j int) bool {
		a, b := &obs[i], &obs[j]
		if !a.t.Equal(b.t) {
			return a.t.Before(b.t)
		}
		if a.fileIdx != b.fileIdx {
			return a.fileIdx < b.fileIdx
		}
		return a.ord < b.ord
	})
	var fired []sigma.CorrelationAlert
	for i := range obs {
		o := &obs[i]
		fired = append(fired, c.Observe(o.ev, o.t, o.ms, o.ref)...)
	}
	fired = append(fired, c.Flush()...)
	var out []Alert
	for _, ca := range fired {
		if !levelOK(ca.Rule.Level, opts.MinLevel) {
			continue
		}
		a := ruleAlert(ca.Rule)
		a.Correlation = true
		a.Group = ca.GroupString()
		a.Count = ca.Value
		a.Events = ca.Events
		first := ca.First
		a.First = &first
		a.Timestamp = ca.Last
		if ref, ok := ca.LastRef.(*Alert); ok && ref != nil {
			a.File, a.Channel, a.EventID, a.RecordID, a.Computer = ref.File, ref.Channel, ref.EventID, ref.RecordID, ref.Computer
		}
		out = append(out, a)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].First.Equal(*out[j].First) {
			return out[i].First.Before(*out[j].First)
		}
		if out[i].RuleID != out[j].RuleID {
			return out[i].RuleID < out[j].RuleID
		}
		return out[i].Group < out[j].Group
	})
	return out
}

var levels = map[string]int{"informational": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}

// ValidLevel reports whether s is a Sigma level.
func ValidLevel(s string) bool { _, ok := levels[strings.ToLower(s)]; return ok }

func levelOK(level, min string) bool {
	if min == "" {
		return true
	}
	return levels[strings.ToLower(level)] >= levels[strings.ToLower(min)]
}

func ruleAlert(r *sigma.Rule) Alert {
	return Alert{RuleID: r.ID, Title: r.Title, Level: r.Level, Status: r.Status, Author: r.Author, Tags: r.Tags}
}

// worker matches the events of units; each goroutine owns one.
type worker struct {
	opts *Options
	m    *sigma.Matcher
	corr *sigma.Correlator // read-only here: Correlated and Fields
}

func (w *worker) run(ctx context.Context, u unit) unitResult {
	r := unitResult{bytes: u.bytes}
	if ctx.Err() != nil {
		return r
	}
	onErr := func(err error) {
		r.errs++
		if w.opts.OnError != nil {
			w.opts.OnError(u.in.path, err)
		}
	}
	if u.in.kind == kindJSON {
		f, err := os.Open(u.in.path)
		if err != nil {
			onErr(err)
			return r
		}
		defer f.Close()
		var ord int64
		err = sigma.DecodeJSON(f, func(ev sigma.Event) error {
			ord++
			w.event(&r, u.in, ord, ev, time.Time{})
			return ctx.Err()
		})
		if err != nil && ctx.Err() == nil {
			onErr(err)
		}
		return r
	}
	f, err := evtx.Open(u.in.path, evtx.Options{OnError: func(err error) {
		if !evtx.IsWarning(err) {
			onErr(err)
		}
	}})
	if err != nil {
		if u.chunk == 0 {
			onErr(err)
		}
		return r
	}
	defer f.Close()
	for c := u.chunk; c < u.end && c < f.Chunks(); c++ {
		if ctx.Err() != nil {
			return r
		}
		recs, err := f.ReadChunk(c)
		if err != nil {
			onErr(err)
			continue
		}
		for i, rec := range recs {
			ev := sigma.WindowsFields(rec.Fields())
			w.event(&r, u.in, int64(c)<<20|int64(i), ev, rec.Time)
		}
	}
	return r
}

// event matches one event and records alerts and correlated matches.
func (w *worker) event(r *unitResult, in input, ord int64, ev sigma.Event, fallback time.Time) {
	r.events++
	var t time.Time
	timed := false
	eventTime := func() time.Time {
		if !timed {
			var ok bool
			if t, ok = sigma.EventTime(ev); !ok {
				t = fallback
			}
			timed = true
		}
		return t
	}
	if !w.opts.From.IsZero() || !w.opts.To.IsZero() {
		t := eventTime()
		if (!w.opts.From.IsZero() && t.Before(w.opts.From)) || (!w.opts.To.IsZero() && !t.Before(w.opts.To)) {
			r.skip++
			return
		}
	}
	ms := w.m.Match(ev)
	if len(ms) == 0 {
		return
	}
	t = eventTime()
	var corrMs []sigma.Match
	var ref *Alert
	for _, m := range ms {
		if w.corr.Correlated(m.Rule) {
			corrMs = append(corrMs, m)
		}
		if m.Rule.CorrelationOnly || !levelOK(m.Rule.Level, w.opts.MinLevel) {
			continue
		}
		a := ruleAlert(m.Rule)
		fillEvent(&a, ev, t, in, ord, w.opts.NoEvent)
		a.rule = ruleIndex(w.opts.Rules, m.Rule)
		r.alerts = append(r.alerts, a)
	}
	if len(corrMs) > 0 {
		ref = &Alert{}
		fillEvent(ref, ev, t, in, ord, true)
		snap := sigma.MapEvent{}
		for _, m := range corrMs {
			for _, f := range w.corr.Fields(m.Rule) {
				if v, ok := ev.Get(f); ok {
					snap[f] = v
				}
			}
		}
		r.obs = append(r.obs, observation{t: t, fileIdx: in.idx, ord: ord, ev: snap, ms: corrMs, ref: ref})
	}
}

func fillEvent(a *Alert, ev sigma.Event, t time.Time, in input, ord int64, noEvent bool) {
	a.File = in.path
	a.fileIdx, a.ord = in.idx, ord
	a.Timestamp = t
	a.Channel = str(ev, "Channel")
	a.EventID = str(ev, "EventID")
	a.RecordID = str(ev, "EventRecordID")
	a.Computer = str(ev, "Computer")
	if !noEvent {
		a.Event = map[string]any{}
		ev.Range(func(k string, v any) bool {
			a.Event[k] = v
			return true
		})
	}
}

func str(ev sigma.Event, f string) string {
	v, ok := ev.Get(f)
	if !ok || v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

func ruleIndex(rs *sigma.RuleSet, r *sigma.Rule) int {
	return r.Index()
}
