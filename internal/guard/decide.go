package guard

import (
	"os"
	"path/filepath"
	"time"

	"github.com/medshield/medshield/internal/event"
)

// This file holds the shield's decisions: scoring signals per process (and
// its fan-out family), freezing on partial evidence, killing at the
// threshold, and the fast check the activity source runs on its reader
// thread.

// add records a signal for the process and its same-executable ancestors,
// then responds if any of them crossed the threshold.
func (s *Shield) add(ev FileEvent, ps *procState, kind, path string, w float64) {
	key := kind + "\x00" + path
	if ps.seen[key] || w == 0 {
		return
	}
	ps.seen[key] = true
	sig := Signal{Time: ev.Time, Kind: kind, Path: path, Weight: w}
	ps.signals = append(ps.signals, sig)
	if ev.Op != OpExec {
		ps.files = appendUnique(ps.files, ev.Path, 200)
		dir := filepath.Dir(ev.Path)
		if !ps.dirs[dir] {
			ps.dirs[dir] = true
			if len(ps.dirs)%5 == 0 {
				b := Signal{Time: ev.Time, Kind: "breadth", Path: dir, Weight: s.cfg.Weights.Breadth}
				ps.signals = append(ps.signals, b)
			}
		}
	}
	target, score := ev.PID, s.score(ps, ev.Time)
	// Fan-out: children with the parent's executable count for the parent.
	for pid, depth := ev.PID, 0; s.procs != nil && depth < 4; depth++ {
		parent := s.procs.Parent(pid)
		if parent <= 1 || parent == s.cfg.Self || s.procs.Exe(parent) == "" || s.procs.Exe(parent) != s.procs.Exe(ev.PID) {
			break
		}
		pps := s.proc(parent, ev.Time)
		if !pps.seen[key] {
			pps.seen[key] = true
			pps.signals = append(pps.signals, sig)
			pps.files = appendUnique(pps.files, ev.Path, 200)
		}
		if sc := s.score(pps, ev.Time); sc >= s.cfg.Threshold {
			target, score, ps = parent, sc, pps
		}
		pid = parent
	}
	switch {
	case score >= s.cfg.Threshold && !ps.stopped:
		s.respond(target, ps, score, ev.Time)
	case s.cfg.Kill && s.resp != nil && score >= s.cfg.Threshold*s.cfg.SuspendAt && ps.frozenAt.IsZero() && ps.thawed < 3:
		// Suspend, then decide: ransomware runs ahead of its own events,
		// so what is already queued usually completes the evidence.
		ps.frozen = s.resp.Freeze(target)
		ps.frozenAt = time.Now()
		s.log.Info("process suspended pending evidence", "pid", target, "score", score)
	}
}

func (s *Shield) setProfile(path string, p *profile) {
	s.profiles[path] = p
	h := headSummary{kind: p.kind}
	if len(p.blocks) > 0 {
		h.low = float64(p.blocks[0])/10 < lowEntropy
	}
	s.heads.Store(path, h)
}

func (s *Shield) dropProfile(path string) {
	delete(s.profiles, path)
	s.heads.Delete(path)
}

// FastCheck runs on the activity source's reader thread for every
// close-after-write: it reads the first 4 KiB of the file and, if a
// low-entropy or typed document now starts with random-looking data or lost
// its type, freezes the writer at once. The shield later kills it or, if the
// evidence stays below the threshold, resumes it. It is safe for
// concurrent use with the shield's own goroutine.
func (s *Shield) FastCheck(ev FileEvent, freeze func(pid int) []int) {
	if ev.Op != OpWrite || ev.PID <= 0 || ev.PID == s.cfg.Self || !s.cfg.Kill {
		return
	}
	v, ok := s.heads.Load(ev.Path)
	if !ok {
		return
	}
	before := v.(headSummary)
	f, err := os.Open(ev.Path)
	if err != nil {
		return
	}
	var buf [4096]byte
	n, _ := f.Read(buf[:])
	f.Close()
	if n < 256 {
		return
	}
	head := buf[:n]
	afterKind := magicKind(head)
	jump := before.low && entropy(head[:min(n, blockSize)]) >= highEntropy
	changed := before.kind != "" && afterKind != before.kind
	if !jump && !changed {
		return
	}
	s.frozenMu.Lock()
	defer s.frozenMu.Unlock()
	if s.frozenBy[ev.PID] != nil {
		return // already frozen, verdict pending
	}
	// Every suspicious write freezes the writer again: while frozen it
	// cannot add evidence, so each document it damages costs it a pause
	// (Hold) until its score reaches the threshold.
	s.frozenBy[ev.PID] = freeze(ev.PID)
}

// adoptFrozen moves processes frozen by FastCheck into the shield's state so
// that Tick resumes them if they are not convicted.
func (s *Shield) adoptFrozen(now time.Time) {
	s.frozenMu.Lock()
	defer s.frozenMu.Unlock()
	for pid, frozen := range s.frozenBy {
		if frozen == nil {
			continue
		}
		ps := s.proc(pid, now)
		if ps.frozenAt.IsZero() && !ps.stopped {
			ps.frozen, ps.frozenAt = frozen, now
		}
		delete(s.frozenBy, pid)
	}
}

// Tick resumes processes that were suspended on partial evidence and did
// not reach the threshold within Hold. Call it every ~100 ms.
func (s *Shield) Tick(now time.Time) {
	s.adoptFrozen(now)
	for pid, ps := range s.state {
		if ps.frozenAt.IsZero() || ps.stopped || now.Sub(ps.frozenAt) < s.cfg.Hold {
			continue
		}
		s.resp.Thaw(ps.frozen)
		s.log.Info("process resumed: evidence below threshold", "pid", pid, "score", s.score(ps, now))
		ps.frozen, ps.frozenAt = nil, time.Time{}
		ps.thawed++
	}
}

func (s *Shield) score(ps *procState, now time.Time) float64 {
	var sum float64
	keep := ps.signals[:0]
	for _, sg := range ps.signals {
		if now.Sub(sg.Time) <= s.cfg.Window {
			sum += sg.Weight
			keep = append(keep, sg)
		}
	}
	ps.signals = keep
	return sum
}

func (s *Shield) respond(pid int, ps *procState, score float64, now time.Time) {
	ps.stopped = true
	a := Alert{ID: event.NewID(), Time: now, Rule: "medshield.ransomware", PID: pid, Score: score,
		Signals: append([]Signal(nil), ps.signals...), Files: append([]string(nil), ps.files...), Action: "alert-only"}
	if s.procs != nil {
		a.Exe = s.procs.Exe(pid)
		a.Name = filepath.Base(a.Exe)
		a.Cmdline = s.procs.Cmdline(pid)
	}
	if s.cfg.Kill && s.resp != nil {
		killed, err := s.resp.StopTree(pid)
		a.Killed = killed
		a.Action = "killed"
		if err != nil {
			a.Action, a.Error = "kill-failed", err.Error()
		}
		// Processes frozen with this one (its fan-out family) die with it;
		// none may stay suspended forever.
		for _, f := range ps.frozen {
			if !contains(killed, f) && f != s.cfg.Self {
				if more, err := s.resp.StopTree(f); err == nil {
					killed = append(killed, more...)
				}
			}
		}
		ps.frozen, ps.frozenAt = nil, time.Time{}
		a.Killed = killed
		for _, k := range killed {
			if st := s.state[k]; st != nil {
				st.stopped = true
				if len(st.frozen) > 0 && st != ps {
					s.resp.Thaw(st.frozen) // a dead process's freeze must not outlive it
					st.frozen, st.frozenAt = nil, time.Time{}
				}
			}
		}
	}
	s.mu.Lock()
	s.stats.Alerts++
	s.mu.Unlock()
	s.log.Warn("ransomware behaviour", "pid", pid, "exe", a.Exe, "score", score, "action", a.Action, "files", len(a.Files))
	if s.onAlert != nil {
		s.onAlert(a)
	}
}

func (s *Shield) rootPID(pid int) int {
	if s.procs == nil {
		return pid
	}
	exe := s.procs.Exe(pid)
	for depth := 0; depth < 4; depth++ {
		parent := s.procs.Parent(pid)
		if parent <= 1 || exe == "" || s.procs.Exe(parent) != exe {
			break
		}
		pid = parent
	}
	return pid
}

// Forget drops per-process state not seen within the window (call
// periodically to bound memory).
func (s *Shield) Forget(now time.Time) {
	for pid, ps := range s.state {
		if now.Sub(ps.lastSeen) > s.cfg.Window {
			delete(s.state, pid)
			delete(s.notes, pid)
			s.frozenMu.Lock()
			delete(s.frozenBy, pid)
			s.frozenMu.Unlock()
		}
	}
}

func appendUnique(list []string, v string, max int) []string {
	for _, x := range list {
		if x == v {
			return list
		}
	}
	if len(list) >= max {
		return list
	}
	return append(list, v)
}

func contains(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
