package postgres

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/medshield/medshield/internal/store"
	"github.com/medshield/medshield/internal/store/storetest"
)

func benchOpen(b *testing.B) store.Store { return openFresh(b) }

// MEDSHIELD_TEST_POSTGRES=... go test -run - -bench AppendEvents -benchtime 50000x ./internal/store/postgres
//
// With a local server, server-cpu-µs/event is the CPU of the postgres
// processes (from /proc) per event.
func BenchmarkAppendEvents(b *testing.B) { storetest.BenchAppendServer(b, benchOpen, postgresCPU) }

// MEDSHIELD_TEST_POSTGRES=... go test -run - -bench QueryEvents ./internal/store/postgres
func BenchmarkQueryEvents(b *testing.B) { storetest.BenchQuery(b, benchOpen) }

// postgresCPU sums user+system time of the local processes named
// "postgres" (Linux /proc; 0 elsewhere). Backends that exit during the
// measurement are not counted, so the figure is a lower bound.
func postgresCPU() time.Duration {
	comms, _ := filepath.Glob("/proc/[0-9]*/comm")
	var ticks int64
	for _, c := range comms {
		name, err := os.ReadFile(c)
		if err != nil || strings.TrimSpace(string(name)) != "postgres" {
			continue
		}
		stat, err := os.ReadFile(filepath.Join(filepath.Dir(c), "stat"))
		if err != nil {
			continue
		}
		// Fields after the parenthesised command name: state is field 3,
		// utime 14 and stime 15.
		s := string(stat)
		if i := strings.LastIndexByte(s, ')'); i >= 0 {
			s = s[i+1:]
		}
		f := strings.Fields(s)
		if len(f) < 13 {
			continue
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		ticks += u + st
	}
	return time.Duration(ticks) * (time.Second / 100) // USER_HZ is 100 on Linux
}
