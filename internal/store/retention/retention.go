// Package retention enforces how long the server keeps events, alerts and
// state records: a background job that deletes, per kind, what is older
// than the configured duration (default 180 days, the minimum hospitals
// must keep security logs), and purges expired console sessions.
//
// It deletes through the store interface and knows nothing about SQL; it
// does not archive or export before deleting. The server imports it.
package retention

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/medshield/medshield/internal/event"
)

// DefaultKeep is the default retention of every kind.
const DefaultKeep = 180 * 24 * time.Hour

// DefaultInterval is how often the job runs.
const DefaultInterval = time.Hour

// Config says how long to keep each kind. Zero means DefaultKeep; a
// negative duration keeps that kind forever.
type Config struct {
	Event    time.Duration
	Alert    time.Duration
	State    time.Duration
	Interval time.Duration // zero means DefaultInterval
}

// Keep returns the effective retention of a kind (negative: forever).
func (c Config) Keep(kind string) time.Duration {
	var d time.Duration
	switch kind {
	case event.KindEvent:
		d = c.Event
	case event.KindAlert:
		d = c.Alert
	case event.KindState:
		d = c.State
	}
	if d == 0 {
		return DefaultKeep
	}
	return d
}

// Store is what the job needs from store.Store.
type Store interface {
	DeleteEventsBefore(ctx context.Context, kind string, t time.Time) (int64, error)
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error)
}

// Result counts what one run deleted.
type Result struct {
	Deleted  map[string]int64 // per kind
	Sessions int64
}

// Job runs retention on a ticker.
type Job struct {
	st  Store
	cfg Config
	log *slog.Logger
	now func() time.Time
}

// New returns a job; log may be nil (slog.Default), now may be nil
// (time.Now).
func New(st Store, cfg Config, log *slog.Logger, now func() time.Time) *Job {
	if log == nil {
		log = slog.Default()
	}
	if now == nil {
		now = time.Now
	}
	return &Job{st: st, cfg: cfg, log: log.With("component", "retention"), now: now}
}

// RunOnce deletes what is older than the retention of each kind at now.
// It goes on with the other kinds when one fails and returns all errors.
func (j *Job) RunOnce(ctx context.Context, now time.Time) (Result, error) {
	res := Result{Deleted: map[string]int64{}}
	var errs []error
	for _, kind := range []string{event.KindEvent, event.KindAlert, event.KindState} {
		keep := j.cfg.Keep(kind)
		if keep < 0 {
			continue
		}
		n, err := j.st.DeleteEventsBefore(ctx, kind, now.Add(-keep))
		res.Deleted[kind] = n
		if err != nil {
			errs = append(errs, fmt.Errorf("retention of %s: %w", kind, err))
		}
	}
	n, err := j.st.DeleteExpiredSessions(ctx, now)
	res.Sessions = n
	if err != nil {
		errs = append(errs, fmt.Errorf("purge sessions: %w", err))
	}
	return res, errors.Join(errs...)
}

// Run runs the job at once and then every interval until ctx is done.
// Failures are logged and retried at the next tick.
func (j *Job) Run(ctx context.Context) {
	interval := j.cfg.Interval
	if interval <= 0 {
		interval = DefaultInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		res, err := j.RunOnce(ctx, j.now())
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			j.log.Error("retention run failed", "err", err)
		case res.Deleted[event.KindEvent]+res.Deleted[event.KindAlert]+res.Deleted[event.KindState] > 0:
			j.log.Info("retention", "events", res.Deleted[event.KindEvent], "alerts", res.Deleted[event.KindAlert],
				"state", res.Deleted[event.KindState], "sessions", res.Sessions)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
