package scansched

import (
	"context"
	"sync"
	"time"
)

// Run runs the scheduled scans and on-access scanning until ctx is done,
// then saves the cache. It returns an error only if on-access scanning could
// not start.
func (s *Service) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer func() {
		wg.Wait()
		if err := s.cache.Save(); err != nil {
			s.log.Warn("scan cache not saved", "err", err)
		}
	}()
	if len(s.cfg.OnAccess.Paths) > 0 {
		oa, err := s.newOnAccess()
		if err != nil {
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			oa.run(ctx)
		}()
	}
	for i := range s.cfg.Scans {
		sc := s.cfg.Scans[i]
		if sc.Schedule == "" {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.schedule(ctx, sc)
		}()
	}
	// Save the cache now and then so a crash loses little on-access work.
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Minute)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := s.cache.Save(); err != nil {
					s.log.Warn("scan cache not saved", "err", err)
				}
			}
		}
	}()
	s.readyOnce.Do(func() { close(s.ready) })
	<-ctx.Done()
	return nil
}

// schedule runs one scheduled scan at its times. Only one run of a given
// scan is active at a time; the last start is persisted in the cache file so
// a restart does not rescan early or miss a slot.
func (s *Service) schedule(ctx context.Context, sc ScanConfig) {
	for {
		now := time.Now()
		next := sc.schedule.Next(s.cache.LastRun(sc.Name), now)
		s.log.Debug("next scheduled scan", "scan", sc.Name, "at", next)
		t := time.NewTimer(next.Sub(now))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		prev, start := s.cache.LastRun(sc.Name), time.Now()
		s.cache.SetLastRun(sc.Name, start)
		sum, err := s.ScanPaths(ctx, sc, SourceScheduled)
		if sum.Cancelled {
			// Interrupted (shutdown): not a run, so the next start sees the
			// slot as missed and scans again.
			s.cache.SetLastRun(sc.Name, prev)
		}
		if err != nil {
			s.log.Error("scheduled scan", "scan", sc.Name, "err", err)
		} else {
			s.log.Info("scheduled scan done", "scan", sc.Name, "files", sum.Stats.Files,
				"scanned", sum.Stats.Scanned, "cached", sum.Stats.Cached, "detected", sum.Stats.Detected,
				"took", sum.Finished.Sub(sum.Started).Round(time.Second))
		}
	}
}
