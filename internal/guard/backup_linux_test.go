//go:build linux

package guard

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"
)

// TestBackupRestoresIncident lets ransomware damage documents (decoys off,
// so that some are lost before it is stopped), then restores the incident
// from the copy-on-first-write backup: every document is back.
func TestBackupRestoresIncident(t *testing.T) {
	needRoot(t)
	for _, variant := range []string{"inplace", "newext"} {
		t.Run(variant, func(t *testing.T) {
			root := t.TempDir()
			share := filepath.Join(root, "share")
			orig := makeDocuments(t, share)
			store := filepath.Join(root, "backup-store")
			ctx, cancel := context.WithCancel(context.Background())
			alerts := make(chan Alert, 4)
			ready := make(chan struct{})
			done := make(chan error, 1)
			go func() {
				done <- Run(ctx, Options{Protect: []string{share}, Kill: true, BackupDir: store,
					Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
					OnAlert: func(a Alert) { alerts <- a },
					OnReady: func(ShieldInfo) { close(ready) }})
			}()
			<-ready
			c := simulate(t, variant, share, filepath.Join(root, "nobackup"))
			waitExit(t, c, 90*time.Second)
			var a Alert
			select {
			case a = <-alerts:
			case <-time.After(10 * time.Second):
				t.Fatal("no alert")
			}
			cancel()
			<-done
			lostBefore := lost(orig)
			res, err := RestoreIncident(store, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			if n := lost(orig); n != 0 {
				t.Fatalf("%d documents still damaged after restore (%d before; restored %d, missing %v, failed %v)",
					n, lostBefore, len(res.Restored), res.Missing, res.Failed)
			}
			if len(res.Missing) != 0 {
				t.Fatalf("attacker output reported as missing documents: %v", res.Missing)
			}
			t.Logf("%s: %d documents damaged, %d restored", variant, lostBefore, len(res.Restored))
		})
	}
}
