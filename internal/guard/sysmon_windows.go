//go:build windows

package guard

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os/exec"
	"strings"
	"time"
)

// SysmonSource reads Sysmon's event log with `wevtutil qe` (no cgo, no
// driver of ours) and reports file activity in the protected folders, and
// program starts anywhere, with the acting process id. It needs Sysmon with
// file create/delete logging enabled (events 11, 23/26) and an
// administrator account.
type SysmonSource struct {
	Protect  []string
	Logger   *slog.Logger
	Interval time.Duration // default 500 ms
}

const sysmonChannel = "Microsoft-Windows-Sysmon/Operational"

// Attributed implements Source.
func (s *SysmonSource) Attributed() bool { return true }

// Available reports whether Sysmon's log can be read.
func (s *SysmonSource) Available() bool {
	_, err := s.query("*[System[EventID=1]]", 1, true)
	return err == nil
}

func (s *SysmonSource) query(xpath string, count int, newestFirst bool) ([]byte, error) {
	args := []string{"qe", sysmonChannel, "/q:" + xpath, "/f:xml", fmt.Sprintf("/c:%d", count)}
	if newestFirst {
		args = append(args, "/rd:true")
	}
	out, err := exec.Command("wevtutil", args...).Output()
	if err != nil {
		return nil, fmt.Errorf("wevtutil: %w", err)
	}
	return out, nil
}

// Run implements Source.
func (s *SysmonSource) Run(ctx context.Context, out chan<- FileEvent) error {
	defer close(out)
	if s.Interval == 0 {
		s.Interval = 500 * time.Millisecond
	}
	// Start after the newest record: only new activity matters.
	var last uint64
	if b, err := s.query("*", 1, true); err == nil {
		if recs, _ := ParseSysmonXML(bytes.NewReader(b)); len(recs) > 0 {
			last = recs[0].RecordID
		}
	}
	t := time.NewTicker(s.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		b, err := s.query(fmt.Sprintf("*[System[(EventID=1 or EventID=2 or EventID=11 or EventID=23 or EventID=26) and EventRecordID>%d]]", last), 2000, false)
		if err != nil {
			if s.Logger != nil {
				s.Logger.Warn("sysmon query failed", "err", err)
			}
			continue
		}
		recs, _ := ParseSysmonXML(bytes.NewReader(b))
		for _, r := range recs {
			if r.RecordID > last {
				last = r.RecordID
			}
			if !r.OK || (r.Event.Op != OpExec && !underAny(r.Event.Path, s.Protect)) {
				continue
			}
			select {
			case out <- r.Event:
			case <-ctx.Done():
				return nil
			}
		}
	}
}

// underAny compares Windows paths case-insensitively.
func underAny(path string, roots []string) bool {
	p := strings.ToLower(path)
	for _, r := range roots {
		r = strings.ToLower(strings.TrimRight(r, `\`))
		if p == r || strings.HasPrefix(p, r+`\`) {
			return true
		}
	}
	return false
}
