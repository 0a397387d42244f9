// Package miner finds cryptocurrency miners running on a host, from what
// the kernel shows about each process: a mining command line (miner names,
// stratum URLs, miner options, pool arguments), TCP connections to stratum
// ports, to the pool its command line names or to pool addresses from
// indicator sets, and sustained high CPU by a binary outside the package
// managed paths. Each finding carries its evidence, reasons and a score;
// the caller alerts, kills (Kill) or quarantines Finding.Exe.
//
// Linux is implemented (/proc); other platforms build with a stub that
// returns ErrUnsupported (docs/miner.md describes the Windows design). It
// does not inspect network payloads (the sensor does) or scan binaries with
// YARA (the scanner does, with rules/yara/cryptominers.yar).
//
// It imports internal/event and, through the Indicators interface, works
// with internal/ioc sets. The agent and `medshield guard run` use it.
package miner
