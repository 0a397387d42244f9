package yara

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// HashHit is a hash indicator that matched a scanned file.
type HashHit struct {
	Kind      string // md5, sha1, sha256
	Indicator string
	Threat    string
	Source    string
}

// Job is one `medshield scan` run over files: walk, scan in a pool, check
// hash indicators in the same pass, and report.
type Job struct {
	Rules     *Rules
	Walk      WalkOptions
	Threads   int
	MaxSize   int64
	Timeout   time.Duration // per file
	Format    string        // "text" or "jsonl"
	Out       io.Writer     // results
	Errs      io.Writer     // errors and the summary
	Progress  io.Writer     // progress line (a terminal), or nil
	HashCheck func(d *Digests) []HashHit
	// OnDetection is called for each file with a detection (for example to
	// quarantine it), after its results are written and the file is closed;
	// what names the detections ("namespace:rule" or "sha256 indicator").
	OnDetection func(path string, what []string) error
}

// Summary counts what a Job did.
type Summary struct {
	Files      int64
	Bytes      int64
	Detections int64 // (file, rule or indicator) pairs
	Detected   int64 // files with at least one detection
	Errors     int64
	Skipped    int64 // files over the size limit
	Elapsed    time.Duration
}

type jsonString struct {
	Identifier string `json:"identifier"`
	Offset     int64  `json:"offset"`
	Length     int    `json:"length"`
}

type jsonRecord struct {
	File      string         `json:"file"`
	Size      int64          `json:"size"`
	SHA256    string         `json:"sha256,omitempty"`
	Rule      string         `json:"rule,omitempty"`
	Namespace string         `json:"namespace,omitempty"`
	Tags      []string       `json:"tags,omitempty"`
	Meta      map[string]any `json:"meta,omitempty"`
	Strings   []jsonString   `json:"strings,omitempty"`
	Indicator *HashHit       `json:"indicator,omitempty"`
}

// Run scans roots and returns the summary.
func (j *Job) Run(ctx context.Context, roots []string) Summary {
	start := time.Now()
	var sum Summary
	var walkErrs atomic.Int64
	errw := &lockedWriter{w: j.Errs, mu: &sync.Mutex{}}
	paths := make(chan string, 256)
	go func() {
		defer close(paths)
		Walk(ctx, roots, j.Walk, paths, func(p string, err error) {
			walkErrs.Add(1)
			fmt.Fprintf(errw, "error: %s: %v\n", p, err)
		})
	}()
	outw := &lockedWriter{w: j.Out, mu: &sync.Mutex{}}
	// console.log lines go to the results stream, like yara prints them.
	pool := &Pool{Rules: j.Rules, Threads: j.Threads, MaxSize: j.MaxSize,
		Options: ScanOptions{Timeout: j.Timeout, Console: outw}, Digests: j.Format == "jsonl" || j.HashCheck != nil}
	var lastProgress time.Time
	pool.Run(ctx, paths, func(r FileResult) {
		if r.Err != nil {
			if errors.Is(r.Err, ErrTooLarge) {
				sum.Skipped++
			} else {
				sum.Errors++
				fmt.Fprintf(errw, "error: %v\n", r.Err)
			}
		} else {
			sum.Files++
			sum.Bytes += r.Size
		}
		what := j.report(outw, r)
		if n := len(what); n > 0 {
			sum.Detections += int64(n)
			sum.Detected++
			if j.OnDetection != nil {
				if err := j.OnDetection(r.Path, what); err != nil {
					sum.Errors++
					fmt.Fprintf(errw, "error: %s: %v\n", r.Path, err)
				}
			}
		}
		if j.Progress != nil && time.Since(lastProgress) > 200*time.Millisecond {
			lastProgress = time.Now()
			fmt.Fprintf(&lockedWriter{w: j.Progress, mu: errw.mu}, "\r\033[Kscanned %d files, %.1f MB, %d detections", sum.Files, float64(sum.Bytes)/1e6, sum.Detections)
		}
	})
	if j.Progress != nil {
		fmt.Fprint(j.Progress, "\r\033[K")
	}
	sum.Errors += walkErrs.Load()
	sum.Elapsed = time.Since(start)
	return sum
}

// report writes one file's detections and returns their names.
func (j *Job) report(out io.Writer, r FileResult) []string {
	var hits []HashHit
	if r.Digests != nil && j.HashCheck != nil {
		hits = j.HashCheck(r.Digests)
	}
	if j.Format == "jsonl" {
		enc := json.NewEncoder(out)
		sha := ""
		if r.Digests != nil {
			sha = hex.EncodeToString(r.Digests.SHA256[:])
		}
		for _, m := range r.Matches {
			rec := jsonRecord{File: r.Path, Size: r.Size, SHA256: sha, Rule: m.Rule.Name, Namespace: m.Rule.Namespace, Tags: m.Rule.Tags}
			if len(m.Rule.Meta) > 0 {
				rec.Meta = map[string]any{}
				for _, kv := range m.Rule.Meta {
					rec.Meta[kv.Key] = kv.Value
				}
			}
			for _, s := range m.Strings {
				for _, x := range s.Matches {
					rec.Strings = append(rec.Strings, jsonString{Identifier: "$" + s.ID, Offset: x.Offset, Length: x.Length})
				}
			}
			enc.Encode(rec)
		}
		for i := range hits {
			enc.Encode(jsonRecord{File: r.Path, Size: r.Size, SHA256: sha, Indicator: &hits[i]})
		}
	} else {
		for _, m := range r.Matches {
			fmt.Fprintf(out, "%s %s\n", m.Rule.Name, r.Path)
		}
		for _, h := range hits {
			name := h.Threat
			if name == "" {
				name = h.Source
			}
			fmt.Fprintf(out, "hash:%s:%s %s\n", h.Kind, name, r.Path)
		}
	}
	var what []string
	for _, m := range r.Matches {
		what = append(what, m.Rule.Namespace+":"+m.Rule.Name)
	}
	for _, h := range hits {
		what = append(what, h.Kind+" indicator "+h.Indicator)
	}
	return what
}

// WriteSummary prints s in one line.
func (s Summary) WriteSummary(w io.Writer) {
	fmt.Fprintf(w, "scanned %d files (%.1f MB) in %v: %d detections in %d files, %d errors, %d skipped (size limit)\n",
		s.Files, float64(s.Bytes)/1e6, s.Elapsed.Round(time.Millisecond), s.Detections, s.Detected, s.Errors, s.Skipped)
}

// lockedWriter serialises writes from the walker and the result loop.
type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
