package yara

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/medshield/medshield/internal/corpus"
)

// benchRules compiles the rule files of one corpus set (each in its own
// namespace).
func benchRules(b testing.TB, set string) *Rules {
	root := corpus.Dir(b, "yara")
	dir := filepath.Join(root, "rules", set)
	comp, err := NewCompiler(Options{Modules: testModules()})
	if err != nil {
		b.Fatal(err)
	}
	for _, rf := range ruleFiles(nil, dir) {
		comp.AddFile(filepath.Join(dir, rf), rf)
	}
	rs, _ := comp.Rules()
	return rs
}

func benchScanFile(b *testing.B, set, file string) {
	rs := benchRules(b, set)
	targets := os.Getenv("MEDSHIELD_YARA_TARGETS")
	if targets == "" {
		b.Skip("set MEDSHIELD_YARA_TARGETS to a make_corpus.sh output directory")
	}
	data, err := os.ReadFile(filepath.Join(targets, file))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := rs.Scan(context.Background(), data, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScanRandom1MYaraRules scans 1 MiB of random bytes with the
// Yara-Rules set (which has unbounded regexes such as /([\w\.-]+)/).
func BenchmarkScanRandom1MYaraRules(b *testing.B) {
	benchScanFile(b, "yara-rules", "synthetic/misc/random_1m")
}

// BenchmarkScanRandom1MSignatureBase scans 1 MiB of random bytes with
// signature-base.
func BenchmarkScanRandom1MSignatureBase(b *testing.B) {
	benchScanFile(b, "signature-base", "synthetic/misc/random_1m")
}

// BenchmarkScanCorpusSignatureBase scans the whole deterministic corpus
// once per iteration with signature-base.
func BenchmarkScanCorpusSignatureBase(b *testing.B) {
	benchCorpus(b, "signature-base")
}

func benchCorpus(b *testing.B, set string) {
	rs := benchRules(b, set)
	targets := os.Getenv("MEDSHIELD_YARA_TARGETS")
	if targets == "" {
		b.Skip("set MEDSHIELD_YARA_TARGETS to a make_corpus.sh output directory")
	}
	var datas [][]byte
	var n int64
	filepath.Walk(targets, func(p string, info os.FileInfo, err error) error {
		if err == nil && info.Mode().IsRegular() {
			d, _ := os.ReadFile(p)
			datas = append(datas, d)
			n += int64(len(d))
		}
		return nil
	})
	b.SetBytes(n)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, d := range datas {
			rs.Scan(context.Background(), d, nil)
		}
	}
}

// BenchmarkScanCorpusYaraRules scans the corpus with Yara-Rules.
func BenchmarkScanCorpusYaraRules(b *testing.B) { benchCorpus(b, "yara-rules") }

// BenchmarkCompileSignatureBase compiles all signature-base rule files.
func BenchmarkCompileSignatureBase(b *testing.B) {
	for i := 0; i < b.N; i++ {
		benchRules(b, "signature-base")
	}
}
