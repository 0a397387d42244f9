// Package scansched runs the agent's file scans: scheduled scans of
// configured paths, on-access scans of new and modified executables and
// documents in watched folders, and scans on demand, all throttled so a
// hospital workstation stays usable.
//
// The scanning engine is behind the small Scanner interface (YARA in the
// agent, see yara.go; a fake in the tests). scansched reads each file itself,
// through a byte-rate limiter, hashes it in the same pass and hands the
// content to the Scanner, so no engine ever reads the disk unthrottled. A
// persistent cache keyed by file identity and SHA-256 (cache.go) makes sure
// nothing unchanged is scanned twice, across restarts, until the rule set
// changes. Workers run on OS threads with lowered CPU and I/O priority
// (priority_linux.go).
//
// What it does not do: it takes no action on detections (quarantine and
// alerts are the caller's, through the Callbacks; Finding.Event renders an
// alert), knows nothing of the agent, spool or server, and does not parse
// files. It imports internal/event and internal/yara (for the adapter only).
// Any package may import it; the agent is its intended user.
package scansched
