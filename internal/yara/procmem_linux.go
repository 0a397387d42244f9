//go:build linux

package yara

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// maxRegion bounds how much of one memory region is read.
const maxRegion = 256 << 20

// ScanProcess scans the readable memory regions of process pid
// (/proc/PID/maps and /proc/PID/mem) region by region and returns the rules
// that matched any region. Offsets in conditions are relative to each
// region. It needs the privileges to ptrace-read the process.
func (rs *Rules) ScanProcess(ctx context.Context, pid int, opts *ScanOptions) ([]RuleMatch, error) {
	maps, err := os.Open(fmt.Sprintf("/proc/%d/maps", pid))
	if err != nil {
		return nil, fmt.Errorf("scan process %d: %w", pid, err)
	}
	defer maps.Close()
	mem, err := os.Open(fmt.Sprintf("/proc/%d/mem", pid))
	if err != nil {
		return nil, fmt.Errorf("scan process %d: %w", pid, err)
	}
	defer mem.Close()
	seen := map[*Rule]bool{}
	var out []RuleMatch
	sc := bufio.NewScanner(maps)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 || !strings.HasPrefix(f[1], "r") {
			continue
		}
		if len(f) >= 6 && (f[5] == "[vvar]" || f[5] == "[vsyscall]") {
			continue
		}
		lo, hi, ok := strings.Cut(f[0], "-")
		if !ok {
			continue
		}
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil || end <= start {
			continue
		}
		size := min(end-start, maxRegion)
		buf := make([]byte, size)
		n, _ := mem.ReadAt(buf, int64(start))
		if n <= 0 {
			continue
		}
		res, err := rs.Scan(ctx, buf[:n], opts)
		if err != nil {
			return out, fmt.Errorf("scan process %d region %s: %w", pid, f[0], err)
		}
		for _, m := range res {
			if !seen[m.Rule] {
				seen[m.Rule] = true
				out = append(out, m)
			}
		}
	}
	return out, sc.Err()
}
