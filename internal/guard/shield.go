package guard

import (
	"context"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// Weights of the ransomware signals. A process (with its same-executable
// ancestors, to catch fan-out across child processes) is stopped when the
// sum of its signals within Window reaches Threshold. Each signal counts
// once per distinct file, so a database rewriting its own file or an editor
// saving one document many times never adds up. The defaults are argued in
// docs/guard.md.
type Weights struct {
	Canary          float64 // any write, rename or delete of a decoy file
	EntropyJump     float64 // a low-entropy block of an existing file became random
	TypeChange      float64 // the magic number / text class of an existing file changed
	RansomExtension float64 // renamed or written to a known ransomware extension
	NewExtension    float64 // renamed to its own name plus an unknown extension
	ReplaceOriginal float64 // wrote NAME.ext2 and deleted NAME (write-new-then-delete)
	RansomNote      float64 // a note-like file created in a second (third...) directory
	Breadth         float64 // per 5 distinct directories with damaged files
	RecoveryInhibit float64 // shadow copies, backup catalogue or snapshots deleted
	BackupDelete    float64 // deleting files in a backup or snapshot folder
}

// DefaultWeights are the documented default weights.
var DefaultWeights = Weights{
	Canary: 100, EntropyJump: 35, TypeChange: 35, RansomExtension: 45, NewExtension: 20,
	ReplaceOriginal: 35, RansomNote: 35, Breadth: 10, RecoveryInhibit: 60, BackupDelete: 15,
}

// Config configures a Shield.
type Config struct {
	Protect   []string      // protected folders
	Threshold float64       // default 100
	Window    time.Duration // default 10 min, long enough for slow ransomware
	Weights   Weights       // default DefaultWeights
	Kill      bool          // suspend and kill the process tree at the threshold
	// SuspendAt is the fraction of Threshold at which a process is frozen
	// while the events it already caused are weighed (default 0.5); it is
	// resumed after Hold (default 300 ms) if the threshold is not reached.
	SuspendAt float64
	Hold      time.Duration
	Canaries  bool  // place decoy files
	MaxRead   int64 // bytes read per file for profiles (default 16 MiB)
	MaxFiles  int   // profiles kept (default 200,000)
	Logger    *slog.Logger
	// Self is the shield's own PID; its own file activity is ignored.
	Self int
}

// Signal is one piece of evidence.
type Signal struct {
	Time   time.Time `json:"time"`
	Kind   string    `json:"kind"`
	Path   string    `json:"path"`
	Weight float64   `json:"weight"`
}

// Alert is raised when a process tree reaches the threshold.
type Alert struct {
	ID      string    `json:"id"` // incident id (UUIDv7), used by restores
	Time    time.Time `json:"time"`
	Rule    string    `json:"rule"`
	PID     int       `json:"pid"`
	Name    string    `json:"process_name"`
	Exe     string    `json:"process_path"`
	Cmdline string    `json:"command_line"`
	Score   float64   `json:"score"`
	Signals []Signal  `json:"signals"`
	Files   []string  `json:"files_touched"`
	Action  string    `json:"action"` // killed, kill-failed, alert-only
	Killed  []int     `json:"killed_pids,omitempty"`
	Error   string    `json:"error,omitempty"`
}

// Responder stops processes; the Linux implementation uses signals.
type Responder interface {
	// StopTree suspends pid and its descendants, then kills them all; it
	// returns the PIDs it killed.
	StopTree(pid int) ([]int, error)
	// Freeze suspends pid, its same-executable ancestors and their
	// descendants while the shield weighs the evidence already queued; it
	// returns what it froze.
	Freeze(pid int) []int
	// Thaw resumes frozen processes.
	Thaw(pids []int)
}

// ProcInfo looks up process details (Linux: /proc).
type ProcInfo interface {
	Parent(pid int) int
	Exe(pid int) string
	Cmdline(pid int) string
}

// Shield is the ransomware shield engine. Handle is called from one
// goroutine (the event loop); Stats and Alerts are safe from any.
type Shield struct {
	cfg     Config
	log     *slog.Logger
	resp    Responder
	procs   ProcInfo
	onAlert func(Alert)

	profiles map[string]*profile
	canaries map[string]bool
	state    map[int]*procState
	notes    map[int]map[string]bool // pid → directories with ransom notes

	mu    sync.Mutex
	stats Stats

	// heads holds the first-block summary of every profiled file for the
	// fast check on the source's reader thread (path → headSummary).
	heads sync.Map
	// frozenMu guards frozenBy: processes frozen by the fast path, waiting
	// for the shield's verdict.
	frozenMu sync.Mutex
	frozenBy map[int][]int
}

// headSummary is what the fast check compares.
type headSummary struct {
	kind string
	low  bool // first block low-entropy
}

// Stats counts the shield's work.
type Stats struct {
	Events, Profiles, Canaries, Alerts int
}

type procState struct {
	signals  []Signal
	seen     map[string]bool // kind+path already counted
	dirs     map[string]bool
	files    []string
	deleted  map[string]bool // originals deleted → were they low-entropy
	created  map[string]bool // new files written → are they high-entropy
	stopped  bool
	lastSeen time.Time
	frozen   []int
	frozenAt time.Time
	thawed   int
}

// NewShield returns a shield; call Prepare before feeding events.
func NewShield(cfg Config, resp Responder, procs ProcInfo, onAlert func(Alert)) *Shield {
	if cfg.Threshold == 0 {
		cfg.Threshold = 100
	}
	if cfg.Window == 0 {
		cfg.Window = 10 * time.Minute
	}
	if cfg.Weights == (Weights{}) {
		cfg.Weights = DefaultWeights
	}
	if cfg.SuspendAt == 0 {
		cfg.SuspendAt = 0.5
	}
	if cfg.Hold == 0 {
		cfg.Hold = 300 * time.Millisecond
	}
	if cfg.MaxRead == 0 {
		cfg.MaxRead = 16 << 20
	}
	if cfg.MaxFiles == 0 {
		cfg.MaxFiles = 200000
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	for i, p := range cfg.Protect {
		if abs, err := filepath.Abs(p); err == nil {
			cfg.Protect[i] = filepath.Clean(abs)
		}
	}
	return &Shield{
		cfg: cfg, log: cfg.Logger.With("component", "guard"), resp: resp, procs: procs, onAlert: onAlert,
		profiles: map[string]*profile{}, canaries: map[string]bool{}, state: map[int]*procState{}, notes: map[int]map[string]bool{},
		frozenBy: map[int][]int{},
	}
}

// Prepare profiles the files in the protected folders and places canaries.
func (s *Shield) Prepare(ctx context.Context) error {
	for _, root := range s.cfg.Protect {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil // unreadable parts are skipped, not fatal
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if d.IsDir() {
				if s.cfg.Canaries && len(s.canaries) < 2000 {
					for _, c := range placeCanaries(path) {
						s.canaries[c] = true
					}
				}
				return nil
			}
			if !d.Type().IsRegular() || s.canaries[path] || len(s.profiles) >= s.cfg.MaxFiles {
				return nil
			}
			if p, err := readProfile(path, s.cfg.MaxRead); err == nil {
				s.setProfile(path, p)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	s.mu.Lock()
	s.stats.Profiles, s.stats.Canaries = len(s.profiles), len(s.canaries)
	s.mu.Unlock()
	return nil
}

// Canaries returns the decoy files placed.
func (s *Shield) Canaries() []string {
	out := make([]string, 0, len(s.canaries))
	for c := range s.canaries {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// Stats returns counters.
func (s *Shield) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

func (s *Shield) protected(path string) bool {
	for _, root := range s.cfg.Protect {
		if path == root || strings.HasPrefix(path, root+string(os.PathSeparator)) {
			return true
		}
	}
	return false
}

func (s *Shield) proc(pid int, now time.Time) *procState {
	ps := s.state[pid]
	if ps == nil {
		ps = &procState{seen: map[string]bool{}, dirs: map[string]bool{}, deleted: map[string]bool{}, created: map[string]bool{}}
		s.state[pid] = ps
	}
	ps.lastSeen = now
	return ps
}

// Handle processes one event.
func (s *Shield) Handle(ev FileEvent) {
	s.mu.Lock()
	s.stats.Events++
	s.mu.Unlock()
	if ev.PID == s.cfg.Self && s.cfg.Self != 0 {
		return
	}
	s.adoptFrozen(ev.Time)
	if ev.Op == OpExec {
		s.handleExec(ev)
		return
	}
	if !s.protected(ev.Path) && !isBackupPath(ev.Path) {
		return
	}
	if toolInternal(ev.Path) {
		return // version-control internals are written by tools, not people
	}
	if ev.PID <= 0 {
		// Unattributed events (inotify fallback) still update profiles.
		s.refresh(ev)
		return
	}
	ps := s.proc(ev.PID, ev.Time)
	if ps.stopped {
		return
	}
	if s.canaries[ev.Path] {
		switch ev.Op {
		case OpWrite, OpRenameFrom:
			s.add(ev, ps, "canary", ev.Path, s.cfg.Weights.Canary)
			return
		case OpDelete:
			// Counted once per process: deleting a folder deletes its
			// decoys too, which alone must not kill the file manager.
			s.add(ev, ps, "canary-delete", "", s.cfg.Weights.Canary/2)
			return
		}
	}
	if ev.Op == OpCreate || ev.Op == OpRenameTo || ev.Op == OpWrite {
		if ext := filepath.Ext(ev.Path); ext != "" && s.canaries[strings.TrimSuffix(ev.Path, ext)] {
			s.add(ev, ps, "canary", ev.Path, s.cfg.Weights.Canary) // DECOY.ext: an encrypted copy of a decoy
			return
		}
	}
	if !s.protected(ev.Path) { // backup/snapshot folders outside protection
		if ev.Op == OpDelete || ev.Op == OpRenameFrom {
			s.add(ev, ps, "backup-delete", filepath.Dir(ev.Path), s.cfg.Weights.BackupDelete)
		}
		return
	}
	switch ev.Op {
	case OpWrite:
		s.onWrite(ev, ps)
	case OpCreate:
		if isRansomNote(ev.Path) {
			s.onNote(ev, ps)
		}
	case OpDelete, OpRenameFrom:
		stem := ev.Path
		if old := s.profiles[ev.Path]; old != nil {
			ps.deleted[stem] = old.lowMean
			// NAME.ext2 written before NAME was deleted.
			for name := range ps.created {
				if strings.HasPrefix(name, stem+".") {
					s.replaced(ev, ps, stem, name)
					break
				}
			}
		}
		if isBackupPath(ev.Path) && ev.Op == OpDelete {
			s.add(ev, ps, "backup-delete", filepath.Dir(ev.Path), s.cfg.Weights.BackupDelete)
		}
		if ev.Op == OpDelete {
			s.dropProfile(ev.Path)
		}
	case OpRenameTo:
		s.onRenameTo(ev, ps)
	}
}

func (s *Shield) onWrite(ev FileEvent, ps *procState) {
	if isRansomNote(ev.Path) {
		s.onNote(ev, ps)
	}
	if ext := strings.ToLower(filepath.Ext(ev.Path)); ransomExtensions[ext] {
		s.add(ev, ps, "ransom-extension", ev.Path, s.cfg.Weights.RansomExtension)
	}
	after, err := readProfile(ev.Path, s.cfg.MaxRead)
	if err != nil {
		return
	}
	before := s.profiles[ev.Path]
	if before == nil {
		// A new file. Writing an encrypted copy is what gpg and archivers do
		// too; it only counts once the same process destroys the original
		// (NAME.ext2 written for NAME, deleted before or after).
		ps.created[ev.Path] = !after.lowMean
		for stem := range ps.deleted {
			if strings.HasPrefix(ev.Path, stem+".") {
				s.replaced(ev, ps, stem, ev.Path)
			}
		}
	} else {
		if jumpedBlocks(before, after) > 0 {
			s.add(ev, ps, "entropy-jump", ev.Path, s.cfg.Weights.EntropyJump)
		}
		if before.kind != "" && before.kind != after.kind && before.size >= 64 && after.size >= 64 {
			s.add(ev, ps, "type-change", ev.Path, s.cfg.Weights.TypeChange)
		}
	}
	if len(s.profiles) < s.cfg.MaxFiles || before != nil {
		s.setProfile(ev.Path, after)
	}
}

// replaced scores a process that wrote newPath and deleted the original
// orig: the replacement itself, and an entropy jump when a low-entropy
// original became a random-looking file.
func (s *Shield) replaced(ev FileEvent, ps *procState, orig, newPath string) {
	s.add(ev, ps, "replace-original", orig, s.cfg.Weights.ReplaceOriginal)
	if ps.deleted[orig] && ps.created[newPath] {
		s.add(ev, ps, "entropy-jump", newPath, s.cfg.Weights.EntropyJump)
	}
}

// originalOf returns the profile of the file a NAME.ext2 may stand for.
func (s *Shield) originalOf(path string) *profile {
	for p := path; ; {
		ext := filepath.Ext(p)
		if ext == "" || len(p) == len(ext) {
			return nil
		}
		p = strings.TrimSuffix(p, ext)
		if prof := s.profiles[p]; prof != nil {
			return prof
		}
	}
}

func (s *Shield) onRenameTo(ev FileEvent, ps *procState) {
	ext := strings.ToLower(filepath.Ext(ev.Path))
	if ransomExtensions[ext] {
		s.add(ev, ps, "ransom-extension", ev.Path, s.cfg.Weights.RansomExtension)
	} else if orig := strings.TrimSuffix(ev.Path, filepath.Ext(ev.Path)); orig != ev.Path {
		if _, wasDeleted := ps.deleted[orig]; wasDeleted && !knownExtensions[ext] {
			s.add(ev, ps, "new-extension", ev.Path, s.cfg.Weights.NewExtension)
		}
	}
	// The renamed file keeps the original's profile for later comparisons.
	if orig := s.originalOf(ev.Path); orig != nil {
		if _, ok := s.profiles[ev.Path]; !ok && len(s.profiles) < s.cfg.MaxFiles {
			s.profiles[ev.Path] = orig
		}
	}
}

func (s *Shield) onNote(ev FileEvent, ps *procState) {
	root := s.rootPID(ev.PID)
	dirs := s.notes[root]
	if dirs == nil {
		dirs = map[string]bool{}
		s.notes[root] = dirs
	}
	dir := filepath.Dir(ev.Path)
	if dirs[dir] {
		return
	}
	dirs[dir] = true
	if len(dirs) >= 2 {
		s.add(ev, ps, "ransom-note", ev.Path, s.cfg.Weights.RansomNote)
	}
}

// refresh updates the profile of a file written by an unknown process.
func (s *Shield) refresh(ev FileEvent) {
	switch ev.Op {
	case OpWrite:
		if p, err := readProfile(ev.Path, s.cfg.MaxRead); err == nil && (len(s.profiles) < s.cfg.MaxFiles || s.profiles[ev.Path] != nil) {
			s.setProfile(ev.Path, p)
		}
	case OpDelete:
		s.dropProfile(ev.Path)
	}
}

func (s *Shield) handleExec(ev FileEvent) {
	if ev.PID <= 0 || !isRecoveryInhibition(ev.Cmdline) {
		return
	}
	// The command itself is usually short-lived; its parent is the actor.
	ps := s.proc(ev.PID, ev.Time)
	s.add(ev, ps, "recovery-inhibition", ev.Cmdline, s.cfg.Weights.RecoveryInhibit)
	if s.procs != nil {
		pid := ev.PID
		for depth := 0; depth < 2; depth++ {
			parent := s.procs.Parent(pid)
			if parent <= 1 || parent == s.cfg.Self {
				break
			}
			pev := ev
			pev.PID = parent
			s.add(pev, s.proc(parent, ev.Time), "recovery-inhibition", ev.Cmdline, s.cfg.Weights.RecoveryInhibit)
			if !isShell(s.procs.Exe(parent)) {
				break
			}
			pid = parent
		}
	}
}
