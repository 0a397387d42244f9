package yara

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/medshield/medshield/internal/corpus"
)

// benchLoad measures restoring a whole corpus rule set from its compiled
// file, next to compiling its sources (BenchmarkCompileSources).
func benchLoad(b *testing.B, set string) {
	rs := compileDir(b, filepath.Join(corpus.Dir(b, "yara"), "rules", set), nil)
	var buf bytes.Buffer
	if err := rs.Save(&buf); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Load(bytes.NewReader(buf.Bytes()), Options{Modules: testModules()}); err != nil {
			b.Fatal(err)
		}
	}
}

func benchCompile(b *testing.B, set string) {
	dir := filepath.Join(corpus.Dir(b, "yara"), "rules", set)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		compileDir(b, dir, nil)
	}
}

func benchSave(b *testing.B, set string) {
	rs := compileDir(b, filepath.Join(corpus.Dir(b, "yara"), "rules", set), nil)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var buf bytes.Buffer
		if err := rs.Save(&buf); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLoadCompiledSignatureBase(b *testing.B)   { benchLoad(b, "signature-base") }
func BenchmarkCompileSourcesSignatureBase(b *testing.B) { benchCompile(b, "signature-base") }
func BenchmarkSaveSignatureBase(b *testing.B)           { benchSave(b, "signature-base") }
func BenchmarkLoadCompiledYaraRules(b *testing.B)       { benchLoad(b, "yara-rules") }
func BenchmarkCompileSourcesYaraRules(b *testing.B)     { benchCompile(b, "yara-rules") }
func BenchmarkLoadCompiledElastic(b *testing.B)         { benchLoad(b, "elastic-protections-artifacts") }
func BenchmarkCompileSourcesElastic(b *testing.B)       { benchCompile(b, "elastic-protections-artifacts") }
func BenchmarkLoadCompiledReversingLabs(b *testing.B)   { benchLoad(b, "reversinglabs-yara-rules") }
func BenchmarkCompileSourcesReversingLabs(b *testing.B) { benchCompile(b, "reversinglabs-yara-rules") }

// benchScanLoaded scans the target corpus with a rule set restored from its
// compiled file, to compare with BenchmarkScanCorpusSignatureBase.
func benchScanLoaded(b *testing.B, set string) {
	rs := compileDir(b, filepath.Join(corpus.Dir(b, "yara"), "rules", set), nil)
	var buf bytes.Buffer
	if err := rs.Save(&buf); err != nil {
		b.Fatal(err)
	}
	loaded, err := Load(&buf, Options{Modules: testModules()})
	if err != nil {
		b.Fatal(err)
	}
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
			loaded.Scan(context.Background(), d, nil)
		}
	}
}

func BenchmarkScanCorpusLoadedSignatureBase(b *testing.B) { benchScanLoaded(b, "signature-base") }
