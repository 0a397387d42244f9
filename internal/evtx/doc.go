// Package evtx reads Windows event log files (.evtx) in pure Go.
//
// It parses the file header, the 64 KiB chunks, the event records and their
// BinXML content (templates, substitutions with every value type, entity and
// character references, CDATA, processing instructions, UserData), and
// exposes each record as Windows-style XML (Record.XML), as the flattened
// "Sigma view" (Record.Flat) and as a flat string map ready for rule
// matching (Record.Fields). The rendering decisions (GUID case, times to
// 100 ns, hex integers, SIDs, binary) are written down in docs/evtx.md.
//
// Reading is streaming: one chunk is held at a time, so memory is bounded
// whatever the file size. Damaged input never stops a read: a chunk or record
// that cannot be parsed is reported through Options.OnError and skipped;
// checksum mismatches are reported but the data is still used. Nesting depth
// and value sizes are limited, and a panic in the parser is recovered at the
// record boundary and reported as an error.
//
// It does not write or repair .evtx files, does not read the live Windows
// event log API, and does not resolve message strings from provider DLLs.
//
// Any package may import it; it depends only on the standard library.
package evtx
