package guard

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"time"
)

// Options configure Run.
type Options struct {
	Protect   []string
	Kill      bool
	Canaries  bool
	Threshold float64
	Weights   Weights
	Logger    *slog.Logger
	OnAlert   func(Alert)
	// OnReady is called once the folders are profiled, canaries placed and
	// the activity source is watching.
	OnReady func(ShieldInfo)
}

// ShieldInfo describes a shield that is ready.
type ShieldInfo struct {
	Source     string // "fanotify" or "inotify"
	Attributed bool
	Profiles   int
	Canaries   int
}

// Run protects the folders until ctx ends: it picks the best activity
// source for the platform, profiles the folders, places canaries, then feeds
// every event to the shield.
func Run(ctx context.Context, o Options) error {
	if len(o.Protect) == 0 {
		return errors.New("guard: no folder to protect")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	for _, p := range o.Protect {
		if st, err := os.Stat(p); err != nil || !st.IsDir() {
			return errors.New("guard: protected folder " + p + " is not a directory")
		}
	}
	pl, err := newPlatform(o.Protect, o.Logger)
	if err != nil {
		return err
	}
	sh := NewShield(Config{
		Protect: append([]string(nil), o.Protect...), Threshold: o.Threshold, Weights: o.Weights, Kill: o.Kill,
		Canaries: o.Canaries, Logger: o.Logger, Self: os.Getpid(),
	}, pl.resp, pl.procs, o.OnAlert)
	if err := sh.Prepare(ctx); err != nil {
		return err
	}
	if pl.setCanaries != nil {
		pl.setCanaries(sh.Canaries())
	}
	if pl.setFastCheck != nil && o.Kill {
		pl.setFastCheck(func(ev FileEvent) { sh.FastCheck(ev, pl.resp.Freeze) })
	}
	events := make(chan FileEvent, 4096)
	errc := make(chan error, 1)
	go func() { errc <- pl.source.Run(ctx, events) }()
	if o.OnReady != nil {
		st := sh.Stats()
		o.OnReady(ShieldInfo{Source: pl.name, Attributed: pl.source.Attributed(), Profiles: st.Profiles, Canaries: st.Canaries})
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	lastForget := time.Now()
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				return <-errc
			}
			if ev.PID == 0 && pl.attribute != nil && ev.Op != OpExec {
				ev.PID = pl.attribute(ev.Path)
			}
			sh.Handle(ev)
		case now := <-tick.C:
			sh.Tick(now)
			if now.Sub(lastForget) > time.Minute {
				sh.Forget(now)
				lastForget = now
			}
		}
	}
}

// platform is what an OS provides to the shield.
type platform struct {
	name      string
	source    Source
	procs     ProcInfo
	resp      Responder
	attribute func(path string) int // best-effort PID for unattributed events
	// setCanaries hands the decoys to a source that guards them itself.
	setCanaries func([]string)
	// setFastCheck installs a check the source runs on its reader thread.
	setFastCheck func(func(FileEvent))
}
