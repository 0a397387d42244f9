package evtx

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medshield/medshield/internal/corpus"
)

// flatTrace records the visits of a flattener, in order.
func flatTrace(run func(visit func(sec, key, val string, list bool), section func(string)) error) (string, error) {
	var b strings.Builder
	err := run(func(sec, key, val string, list bool) {
		fmt.Fprintf(&b, "%s|%s|%q|%v\n", sec, key, val, list)
	}, func(sec string) { fmt.Fprintf(&b, "[%s]\n", sec) })
	return b.String(), err
}

// TestStreamingFlattenerEqualsTree checks, on every record of the corpus,
// that the streaming Sigma view emits exactly what the tree walk emits.
func TestStreamingFlattenerEqualsTree(t *testing.T) {
	dir := corpus.Dir(t, "evtx/samples")
	files, complexRecs, n := 0, 0, 0
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(p) != ".evtx" {
			return err
		}
		files++
		f, err := Open(p, Options{})
		if err != nil {
			t.Errorf("%s: %v", p, err)
			return nil
		}
		defer f.Close()
		for {
			rec, err := f.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Errorf("%s: %v", p, err)
				break
			}
			n++
			got, serr := flatTrace(rec.streamFlat)
			if serr == errComplex {
				complexRecs++
				continue
			}
			want, _ := flatTrace(func(v func(sec, key, val string, list bool), s func(string)) error {
				tree, release, err := rec.tree()
				defer release()
				walkFlat(tree, v, s)
				return err
			})
			if got != want {
				t.Errorf("%s record %d: streaming view differs from tree view:\nstream:\n%s\ntree:\n%s", p, rec.ID, got, want)
				return filepath.SkipAll
			}
		}
		return nil
	})
	t.Logf("%d files, %d records, %d needed the tree path", files, n, complexRecs)
}
