// Package quarantine keeps detected files in an encrypted store so that they
// can neither run nor be found again by a scanner, and can later be listed,
// restored or deleted.
//
// A file is quarantined in an order that never loses it: its encrypted copy
// and its JSON record are written and fsynced first, and only then is the
// original removed. Each blob is sealed with AES-256-GCM in 64 KiB chunks
// under a per-store key kept beside it (mode 0600). The encryption
// neutralises the file (no executable bytes on disk, no signatures left to
// match, no execute permission) and detects tampering; it does not protect
// a secret, since anyone who can read the store can read its key.
//
// It does not decide what to quarantine (scanners and guards do), audit
// actions centrally (the agent and server do; the store keeps only a local
// history file) or lock against other processes beyond atomic renames.
// Any package may import it: the scan command, the agent, response actions.
package quarantine
