// Package hunt runs Sigma rules over files of events — Windows .evtx files
// and JSON-lines logs, files or whole folders — on all cores, like
// Chainsaw or Hayabusa, and returns alerts in a deterministic order with
// correlation alerts after the detection alerts.
//
// It reads files and formats alerts (table, csv, jsonl, summary); the
// matching itself is package sigma and EVTX parsing is package evtx. It
// keeps no state between runs. cmd/medshield (the hunt command) imports it.
package hunt
