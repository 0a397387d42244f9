package posture

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/medshield/medshield/internal/event"
	"github.com/medshield/medshield/internal/store"
)

// Store is what a re-match needs: every host's newest host.packages event
// and a place to write the new findings. store.Store satisfies it.
type Store interface {
	Events
	ListAgents(ctx context.Context, organization string) ([]store.Agent, error)
	AppendEvents(ctx context.Context, events []event.Event) (int, error)
}

// rematchNS derives stored ids of re-match results (the server derives
// ids of Detect's results itself).
var rematchNS = uuid.MustParse("5d1f7c52-8a0e-4f4b-9d7e-3b1c2a9e6f10")

// Rematch matches every host's newest inventory against the current
// database and stores new findings and summaries (dated now, so they
// supersede the previous ones; first-seen dates carry forward). It returns
// the number of hosts re-matched. Run calls it when the database changes.
func (d *Detector) Rematch(ctx context.Context, st Store) (int, error) {
	m, info, _ := d.current(ctx)
	d.mu.Lock()
	stamp := d.stamp
	d.mu.Unlock()
	agents, err := st.ListAgents(ctx, "")
	if err != nil {
		return 0, fmt.Errorf("posture re-match: list hosts: %w", err)
	}
	b := m.NewBatch()
	n := 0
	for _, a := range agents {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		page, err := st.QueryEvents(ctx, store.EventQuery{Kind: event.KindState, HostID: a.ID,
			Fields: map[string]string{"event.dataset": DatasetPackages}, Limit: 1})
		if err != nil {
			return n, fmt.Errorf("posture re-match: host %s: %w", a.ID, err)
		}
		if len(page.Events) == 0 {
			continue
		}
		src := page.Events[0]
		inv, err := Inventory(src)
		if err != nil {
			d.log.Warn("posture re-match", "host", a.ID, "err", err)
			continue
		}
		assessID := src.ID + "@" + stamp
		out := d.assess(ctx, &src, assessID, time.Now(), inv, b.Match(inv), info)
		for i := range out {
			rule := ""
			if out[i].Rule != nil {
				rule = out[i].Rule.ID
			}
			out[i].ID = uuid.NewSHA1(rematchNS, []byte(out[i].ID+"\x00"+rule)).String()
		}
		if _, err := st.AppendEvents(ctx, out); err != nil {
			return n, fmt.Errorf("posture re-match: store host %s: %w", a.ID, err)
		}
		n++
	}
	d.log.Info("posture re-match done", "hosts", n, "records", info.Records)
	return n, nil
}

// Run re-matches every host whenever the database changes (checked every
// interval, one minute when zero) until ctx ends. Detect reloads the
// database on its own; Run brings the hosts that sent nothing since up to
// date.
func (d *Detector) Run(ctx context.Context, st Store, interval time.Duration) {
	if interval <= 0 {
		interval = time.Minute
	}
	d.current(ctx)
	d.mu.Lock()
	last := d.stamp
	d.mu.Unlock()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		d.current(ctx)
		d.mu.Lock()
		stamp := d.stamp
		d.mu.Unlock()
		if stamp == last {
			continue
		}
		if n, err := d.Rematch(ctx, st); err != nil {
			d.log.Warn("posture re-match", "hosts", n, "err", err)
			continue
		}
		last = stamp
	}
}
