// Package posture carries vulnerability posture between agent, server and
// console. On the agent it collects the host's OS identity and installed
// packages (via internal/vuln/inventory) into one "host.packages" state
// event; on the server a Detector matches each such event against the OSV
// database (internal/vuln) and the offline Windows patch table
// (internal/vuln/winpatch) and derives "vuln.finding" and "vuln.summary"
// state events, carrying each finding's first-seen time forward and
// reporting findings that disappeared as fixed.
//
// It does not match anything itself (internal/vuln does), does not store
// anything itself (the server stores what Detect returns) and does not
// render anything (internal/console does). The agent, the server command
// and the console import it.
package posture
