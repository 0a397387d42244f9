// Package ioc holds threat-intelligence indicator sets and the readers that
// fill them from public feed formats.
//
// A Set stores hashes (MD5, SHA-1, SHA-256), IP addresses, CIDR ranges,
// IP:port pairs, domains, URLs and TLS client fingerprints (JA3, JA4) and
// answers lookups in O(1), or O(label count) for domains, which match their
// parent domains too (an indicator "evil.example" matches "a.b.evil.example").
// Readers accept plain lists and Maltrail-style trail lists, abuse.ch-style
// CSV (ThreatFox, Feodo Tracker, URLhaus, MalwareBazaar, SSLBL), STIX 2.1
// bundles (the simple comparison forms of indicator patterns) and MISP JSON
// exports; the format is detected from the content, not the file name. Bad
// lines are reported as file:line errors and skipped; the rest still loads.
//
// It does not fetch feeds over the network, age out indicators or score them.
// It is an engine: any package may import it (agent, sensor, YARA scanner,
// server); it imports nothing from agent, server, store or console.
package ioc
