package scansched

import (
	"context"
	"time"
)

// Scanner is the scanning engine. Scan inspects the complete content of one
// file; name is its path, for reporting and for rules that use it. It must be
// safe for concurrent use when Config.Workers > 1.
//
// RulesVersion identifies the rule set: when it changes, every cached clean
// verdict is discarded. Any string that changes with the rules will do (a
// hash of the compiled rules, a rules-pack version).
type Scanner interface {
	Scan(ctx context.Context, name string, data []byte) ([]Detection, error)
	RulesVersion() string
}

// Detection is one rule that matched a file: the minimum an alert needs.
type Detection struct {
	Rule      string            `json:"rule"`
	Namespace string            `json:"namespace,omitempty"`
	Tags      []string          `json:"tags,omitempty"`
	Meta      map[string]string `json:"meta,omitempty"` // rule metadata rendered as text
}

// Source says why a file was scanned.
type Source string

// Sources of scans.
const (
	SourceScheduled Source = "scheduled"
	SourceOnAccess  Source = "on-access"
	SourceOnDemand  Source = "on-demand"
)

// Finding is a scanned file with detections, or a file that could not be
// scanned (Err set). Clean files produce no Finding, only counts in the
// Summary.
type Finding struct {
	Source     Source
	ScanID     string // the scan run; "" for on-access
	Path       string
	Size       int64
	SHA256     string // hex; "" when the file could not be read
	Detections []Detection
	Err        error
	Time       time.Time
}

// Progress is reported periodically during a scheduled or on-demand scan.
type Progress struct {
	ScanID  string
	Name    string // the configured scan's name
	Stats   Stats
	Current string // the file being scanned most recently
}

// Stats are the counters of one scan run (or of on-access scanning since
// start).
type Stats struct {
	Files      int64 `json:"files"`       // files considered after filters
	Scanned    int64 `json:"scanned"`     // files read and passed to the Scanner
	Cached     int64 `json:"cached"`      // skipped: unchanged since a clean scan
	Bytes      int64 `json:"bytes"`       // bytes read
	Detected   int64 `json:"detected"`    // files with detections
	Errors     int64 `json:"errors"`      // files that could not be scanned
	TooLarge   int64 `json:"too_large"`   // skipped: over MaxFileSize
	Excluded   int64 `json:"excluded"`    // files and directories excluded by globs or type
	Dropped    int64 `json:"dropped"`     // on-access only: change events dropped (queue or pending set full, watcher overflow)
	WalkErrors int64 `json:"walk_errors"` // unreadable directories
}

// Summary ends every scheduled and on-demand scan.
type Summary struct {
	ScanID    string
	Name      string
	Source    Source
	Paths     []string
	Started   time.Time
	Finished  time.Time
	Stats     Stats
	Cancelled bool
}

// Callbacks receive results. Each may be nil. They are called from scanning
// goroutines, one call at a time, and must not block for long.
type Callbacks struct {
	Finding  func(Finding)
	Progress func(Progress)
	Summary  func(Summary)
}
