package modules

import (
	"os"
	"sync"
	"testing"

	"github.com/medshield/medshield/internal/yara/module"
	"github.com/medshield/medshield/internal/yara/module/reference"
)

// TestConcurrentLoad loads files with shared module instances from several
// goroutines, as the scanner's workers do, and checks that every result
// equals the sequential one (run with -race to check the shared schema and
// templates).
func TestConcurrentLoad(t *testing.T) {
	var inputs [][]byte
	for _, p := range []string{"/bin/ls", "/usr/bin/perl"} {
		if b, err := os.ReadFile(p); err == nil {
			inputs = append(inputs, b)
		}
	}
	inputs = append(inputs, []byte("MZ not really"), make([]byte, 100))
	mods := List()
	want := make([][]map[string]string, len(mods))
	for i, m := range mods {
		for _, in := range inputs {
			v, err := m.Load(&module.ScanContext{Data: in})
			if err != nil {
				t.Fatal(err)
			}
			want[i] = append(want[i], reference.Flatten(v))
		}
	}
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, m := range mods {
				for j, in := range inputs {
					v, err := m.Load(&module.ScanContext{Data: in})
					if err != nil {
						errs <- err.Error()
						return
					}
					if d := reference.Diff(want[i][j], reference.Flatten(v), nil); len(d) > 0 {
						errs <- m.Name() + ": " + d[0]
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
