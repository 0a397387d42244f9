// Package sigma is medshield's Sigma engine (specification v2.1.0): it
// compiles detection, correlation and filter rules and matches them against
// events from any source — EVTX records, JSON-lines logs or medshield's own
// events — through the small Event interface.
//
// Loading never stops on a bad rule: every rule either compiles or is
// rejected with a Diagnostic (file:line:col, rule id and reason). Logsources
// are routed by data (a Mapping, embedded from rules/sigma/mapping/logsources.yml)
// to channels, providers and event ids, and a pre-index on Channel and
// EventID means an event meets only the rules that can match it. Regular
// expressions run on Go's RE2 engine (linear time); PCRE-only features are
// rejected with the reason.
//
// It does not read files of events (see internal/sigma/hunt and
// internal/evtx), store alerts or know about transport. It imports nothing
// from agent, server, store or console; any package may import it.
package sigma
