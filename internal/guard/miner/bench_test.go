package miner

import (
	"context"
	"testing"
)

// BenchmarkScan measures one full pass over this machine's processes:
// reading /proc (stat, cmdline, exe, fds), the TCP tables and judging.
func BenchmarkScan(b *testing.B) {
	d := New(Options{})
	n := 0
	for b.Loop() {
		fs, err := d.Scan(context.Background())
		if err != nil {
			b.Skip(err)
		}
		n += len(fs)
	}
	snap, _ := readSnapshot(context.Background())
	b.ReportMetric(float64(len(snap.procs)), "procs")
}

// BenchmarkAnalyzeCmdline measures the command-line rules on a miner's argv.
func BenchmarkAnalyzeCmdline(b *testing.B) {
	d := New(Options{})
	argv := []string{"./xmrig", "-o", "stratum+tcp://pool.supportxmr.com:3333", "-u", testWallet, "-k", "--donate-level", "1", "-a", "rx/0"}
	for b.Loop() {
		analyzeCmdline(argv, "/home/u/xmrig", d.isPoolDomain)
	}
}
