package scansched

import (
	"fmt"
	"time"
)

// Config configures a Service. The zero value of every field means its
// documented default.
type Config struct {
	// Scans are the scheduled scans.
	Scans []ScanConfig
	// OnAccess configures on-access scanning; no Paths disables it.
	OnAccess OnAccessConfig
	// Workers is the number of files scanned at once, across all scans
	// (default 1: at most one core).
	Workers int
	// BytesPerSecond caps the bytes read by all workers together (default
	// DefaultBytesPerSecond; negative: unlimited).
	BytesPerSecond int64
	// Nice is the niceness of worker threads (default 10; negative: leave
	// unchanged). Workers use the idle I/O class unless NormalIO is set.
	Nice     int
	NormalIO bool
	// MaxCPU caps each worker's CPU as a fraction of one core, by pausing
	// after a file in proportion to the CPU it took (default 0.5; negative:
	// no cap). Unlike the byte rate it holds whatever the rules cost.
	// Linux only (per-thread CPU clock); elsewhere it is not enforced.
	MaxCPU float64
	// MaxFileSize is the default per-file limit (default 64 MiB). Files over
	// it are counted, not scanned.
	MaxFileSize int64
	// CachePath is the scan cache file ("": in memory only); CacheEntries
	// bounds it (default DefaultCacheEntries).
	CachePath    string
	CacheEntries int
	// ProgressInterval is how often Progress is reported (default 10s).
	ProgressInterval time.Duration
}

// ScanConfig is one scheduled (or on-demand) scan.
type ScanConfig struct {
	Name     string
	Schedule string // "daily at HH:MM" or "every N hours"; "" for on demand only
	Paths    []string
	// Include, when not empty, keeps only files matching one of its globs;
	// Exclude drops files and whole directories matching one of its globs.
	Include, Exclude Globs
	MaxFileSize      int64 // 0: Config.MaxFileSize
	// FollowSymlinks follows links to files and directories (loops are
	// detected); by default links are not followed.
	FollowSymlinks bool

	schedule Schedule
}

// OnAccessConfig watches folders for new and modified files.
type OnAccessConfig struct {
	Paths   []string // watched recursively
	Exclude Globs
	// AllFiles scans every file; by default only executables, scripts,
	// documents and archives (by extension or magic, see Interesting).
	AllFiles bool
	// Debounce is how long a file must stay unwritten before it is scanned
	// (default 1s), so a file being copied is scanned once, complete.
	Debounce time.Duration
	// QueueSize bounds the files waiting to be scanned (default 1024); more
	// are dropped and counted.
	QueueSize int
}

// Defaults.
const (
	DefaultBytesPerSecond = 16 << 20
	DefaultMaxFileSize    = 64 << 20
	DefaultNice           = 10
	DefaultMaxCPU         = 0.5
)

func (c *Config) setDefaults() error {
	if c.Workers <= 0 {
		c.Workers = 1
	}
	if c.BytesPerSecond == 0 {
		c.BytesPerSecond = DefaultBytesPerSecond
	}
	if c.Nice == 0 {
		c.Nice = DefaultNice
	}
	if c.MaxCPU == 0 {
		c.MaxCPU = DefaultMaxCPU
	}
	if c.MaxCPU > 1 {
		c.MaxCPU = 1
	}
	if c.MaxFileSize <= 0 {
		c.MaxFileSize = DefaultMaxFileSize
	}
	if c.ProgressInterval <= 0 {
		c.ProgressInterval = 10 * time.Second
	}
	if c.OnAccess.Debounce <= 0 {
		c.OnAccess.Debounce = time.Second
	}
	if c.OnAccess.QueueSize <= 0 {
		c.OnAccess.QueueSize = 1024
	}
	if err := c.OnAccess.Exclude.check(); err != nil {
		return fmt.Errorf("on-access: %w", err)
	}
	seen := map[string]bool{}
	for i := range c.Scans {
		s := &c.Scans[i]
		if s.Name == "" || seen[s.Name] {
			return fmt.Errorf("scan %d: name %q missing or duplicate", i, s.Name)
		}
		seen[s.Name] = true
		if err := s.prepare(); err != nil {
			return err
		}
	}
	return nil
}

func (s *ScanConfig) prepare() error {
	if len(s.Paths) == 0 {
		return fmt.Errorf("scan %q: no paths", s.Name)
	}
	if s.Schedule != "" {
		sch, err := ParseSchedule(s.Schedule)
		if err != nil {
			return fmt.Errorf("scan %q: %w", s.Name, err)
		}
		s.schedule = sch
	}
	if err := s.Include.check(); err != nil {
		return fmt.Errorf("scan %q include: %w", s.Name, err)
	}
	if err := s.Exclude.check(); err != nil {
		return fmt.Errorf("scan %q exclude: %w", s.Name, err)
	}
	return nil
}
