package miner

import (
	"bytes"
	"strconv"
)

// The /proc text formats, parsed here without a build tag so their tests
// and fuzz targets run everywhere.

// parseStat reads ppid, comm, utime+stime and starttime from
// /proc/PID/stat; comm may contain spaces and parentheses.
func parseStat(b []byte) (procInfo, bool) {
	open := bytes.IndexByte(b, '(')
	close := bytes.LastIndexByte(b, ')')
	if open < 0 || close < open {
		return procInfo{}, false
	}
	f := bytes.Fields(b[close+1:])
	// f[0] is field 3 (state); utime is field 14, stime 15, starttime 22.
	if len(f) < 20 {
		return procInfo{}, false
	}
	ppid, err1 := strconv.Atoi(string(f[1]))
	ut, err2 := strconv.ParseUint(string(f[11]), 10, 64)
	st, err3 := strconv.ParseUint(string(f[12]), 10, 64)
	start, err4 := strconv.ParseUint(string(f[19]), 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || err4 != nil {
		return procInfo{}, false
	}
	return procInfo{PPID: ppid, Comm: string(b[open+1 : close]), CPUTicks: ut + st, Start: start}, true
}

// splitCmdline splits the NUL-separated argv; a process that rewrote its
// argv into one space-separated string is split on spaces.
func splitCmdline(b []byte) []string {
	b = bytes.TrimRight(b, "\x00")
	if len(b) == 0 {
		return nil
	}
	var parts [][]byte
	if bytes.IndexByte(b, 0) >= 0 {
		parts = bytes.Split(b, []byte{0})
	} else {
		parts = bytes.Fields(b)
	}
	out := make([]string, 0, len(parts))
	for _, p := range parts {
		out = append(out, string(p))
	}
	return out
}
