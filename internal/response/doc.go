// Package response carries out the active-response commands the console
// sends to an agent: kill a process (or its tree), quarantine a file,
// restore or delete a quarantined file, collect a file for analysis, and
// isolate the host from the network (allowing only the medshield server)
// or end the isolation. Each command takes strictly validated JSON
// arguments and returns a JSON-able result; see docs/response.md for the
// schemas.
//
// It does not authorise, audit or transport commands: the server checks
// the operator's role and audits, the agent's runner fetches commands and
// turns results into events. It does not decide on its own to respond.
// Imported by the agent (and guard for automatic responses).
package response
