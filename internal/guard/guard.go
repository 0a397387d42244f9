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
	// BackupDir enables the protected-folder backup (copy-on-first-write
	// into this hidden store, at most BackupMax bytes, default 1 GiB) and
	// the incident records that RestoreIncident uses. Linux only.
	BackupDir string
	BackupMax int64
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
	var backup *Backup
	if o.BackupDir != "" {
		if backup, err = OpenBackup(o.BackupDir, o.BackupMax); err != nil {
			return err
		}
		if pl.setBackup != nil {
			pl.setBackup(backup)
		} else {
			o.Logger.Warn("protected-folder backup is not available on this platform")
		}
		onAlert := o.OnAlert
		o.OnAlert = func(a Alert) {
			if err := backup.RecordIncident(a); err != nil {
				o.Logger.Error("record incident", "err", err)
			}
			if onAlert != nil {
				onAlert(a)
			}
		}
	}
	sh := NewShield(Config{
		Protect: append([]string(nil), o.Protect...), Threshold: o.Threshold, Weights: o.Weights, Kill: o.Kill,
		Canaries: o.Canaries, Logger: o.Logger, Self: os.Getpid(),
	}, pl.resp, pl.procs, o.OnAlert)
	if err := sh.Prepare(ctx); err != nil {
		return err
	}
	if backup != nil {
		// Baseline copies: deletions are not gated (unlink opens nothing), so
		// write-new-then-delete ransomware is covered by copies taken here.
		backup.PreserveTree(ctx, o.Protect, IsCanary)
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
	// setBackup hands the backup store to a source that can gate writes.
	setBackup func(*Backup)
	// setFastCheck installs a check the source runs on its reader thread.
	setFastCheck func(func(FileEvent))
}

// RestoreIncident restores the files of an incident from the backup store in
// dir (see Options.BackupDir).
func RestoreIncident(dir, id string) (RestoreResult, error) {
	b, err := OpenBackup(dir, 0)
	if err != nil {
		return RestoreResult{}, err
	}
	return b.RestoreIncident(id)
}
