package spool

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The crash test re-executes the test binary as a child that appends and
// acknowledges in a loop and reports on stdout, after each call returned:
//
//	A n  record n appended
//	P n  about to ack through record n
//	K n  acked through record n
//
// The parent SIGKILLs it at a random moment and checks the reopened spool.
const crashEnv = "MEDSHIELD_SPOOL_CRASH_CHILD"

var crashOpts = Options{MaxRecordBytes: 512, SegmentBytes: 4096, MaxBytes: 64 << 20}

func crashPayload(n int) []byte {
	return fmt.Appendf(nil, "rec-%09d-%s", n, strings.Repeat("p", n%200))
}

func TestCrashChild(t *testing.T) {
	spec := os.Getenv(crashEnv)
	if spec == "" {
		t.Skip("helper process for TestSpoolSurvivesSIGKILL")
	}
	dir, startS, _ := strings.Cut(spec, "|")
	start, _ := strconv.Atoi(startS)
	s, err := Open(dir, crashOpts)
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(2)
	}
	var outMu sync.Mutex
	say := func(tag string, n int) {
		outMu.Lock()
		fmt.Printf("%s %d\n", tag, n)
		outMu.Unlock()
	}
	go func() { // the reader: ack in small batches while the writer runs
		for {
			b, err := s.Peek(1+rand.IntN(20), 1<<20)
			if err != nil {
				fmt.Println("ERR", err)
				os.Exit(2)
			}
			if len(b.Records) == 0 {
				time.Sleep(time.Millisecond)
				continue
			}
			last, _ := strconv.Atoi(string(b.Records[len(b.Records)-1][4:13]))
			say("P", last)
			if err := s.Ack(b.Next); err != nil {
				fmt.Println("ERR", err)
				os.Exit(2)
			}
			say("K", last)
			time.Sleep(time.Duration(rand.IntN(3)) * time.Millisecond)
		}
	}()
	for n := start; ; {
		k := 1 + rand.IntN(3)
		batch := make([][]byte, k)
		for i := range batch {
			batch[i] = crashPayload(n + i)
		}
		if err := s.Append(batch...); err != nil {
			fmt.Println("ERR", err)
			os.Exit(2)
		}
		for i := range k {
			say("A", n+i)
		}
		n += k
	}
}

func TestSpoolSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns child processes")
	}
	dir := t.TempDir()
	appended := map[int]bool{}
	maxK, maxP, next := -1, -1, 0
	for round := range 4 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$")
		cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s|%d", crashEnv, dir, next))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		killAfter := 300 + rand.IntN(700) // appended records reported
		seen := 0
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			tag, num, _ := strings.Cut(sc.Text(), " ")
			n, _ := strconv.Atoi(num)
			switch tag {
			case "A":
				appended[n] = true
				next = max(next, n+1)
				seen++
			case "P":
				maxP = max(maxP, n)
			case "K":
				maxK = max(maxK, n)
			case "ERR":
				t.Fatalf("child: %s", sc.Text())
			}
			if seen == killAfter {
				cmd.Process.Kill() // SIGKILL on Unix
			}
		}
		cmd.Wait()
		if seen < killAfter {
			t.Fatalf("round %d: child stopped after %d appends", round, seen)
		}
		// Records the child may have appended without reporting come after
		// the last report; start the next round past them.
		next += 10

		s, err := Open(dir, crashOpts)
		if err != nil {
			t.Fatalf("round %d: reopen: %v", round, err)
		}
		b, err := s.Peek(1<<30, 1<<30)
		s.Close()
		if err != nil {
			t.Fatal(err)
		}
		var got []int
		present := map[int]bool{}
		for _, r := range b.Records {
			n, err := strconv.Atoi(string(r[4:13]))
			if err != nil || string(r) != string(crashPayload(n)) {
				t.Fatalf("round %d: corrupted record %q delivered", round, r)
			}
			if len(got) > 0 && n <= got[len(got)-1] {
				t.Fatalf("round %d: record %d after %d: duplicate or out of order", round, n, got[len(got)-1])
			}
			got = append(got, n)
			present[n] = true
			if n <= maxK {
				t.Fatalf("round %d: record %d redelivered after its ack (acked through %d) returned", round, n, maxK)
			}
		}
		for n := range appended {
			if n > maxP && !present[n] {
				t.Fatalf("round %d: record %d was appended (Append returned) but is missing after SIGKILL", round, n)
			}
		}
		t.Logf("round %d: %d appended so far, acked through %d, %d waiting after reopen", round, len(appended), maxK, len(got))
	}
}
