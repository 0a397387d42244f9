package hash

import (
	"testing"

	"github.com/medshield/medshield/internal/yara/module"
	"github.com/medshield/medshield/internal/yara/module/reference"
)

// BenchmarkRange hashes 1 MiB with each range function (cache bypassed:
// a new root per call, as for a new file).
// Run: go test -run '^$' -bench . ./internal/yara/module/hash/
func BenchmarkRange(b *testing.B) {
	data := make([]byte, 1<<20)
	for i := range data {
		data[i] = byte(i * 7)
	}
	sc := &module.ScanContext{Data: data}
	args := []module.Value{module.Int(0), module.Int(int64(len(data)))}
	for _, name := range []string{"md5", "sha1", "sha256", "crc32", "checksum32"} {
		impl := New().Schema().Lookup(name).Funcs[0].Impl
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			cpu := reference.CPUTime()
			for b.Loop() {
				root, _ := New().Load(sc)
				impl(sc, &root, args)
			}
			reference.ReportCPU(b, cpu, int64(len(data)))
		})
	}
}
