// Package guard is medshield's runtime protection on the endpoint: the
// ransomware shield (per-process scoring of file activity in protected
// folders, canary files, suspend-then-kill of the offending process tree)
// and the sources of file and process activity it needs (fanotify on Linux,
// with the OS-specific parts behind small interfaces).
//
// The shield is an engine: it takes FileEvents and calls a Responder and an
// alert callback; it knows nothing of the server or the spool. The agent and
// `medshield guard run` compose it with a Source. It imports internal/event
// only.
package guard
