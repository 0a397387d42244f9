package inventory

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// The parsers below take the text of Linux files. They are platform
// independent so their tests run everywhere, and bounded: scanner lines are
// capped, unknown lines ignored.

const maxLine = 64 << 10

func lines(r io.Reader, fn func(string)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), maxLine)
	for sc.Scan() {
		fn(sc.Text())
	}
	return sc.Err()
}

// ParseOSRelease parses os-release(5): KEY=value lines with shell-style
// quoting.
func ParseOSRelease(r io.Reader) (map[string]string, error) {
	m := map[string]string{}
	err := lines(r, func(l string) {
		l = strings.TrimSpace(l)
		if l == "" || l[0] == '#' {
			return
		}
		k, v, ok := strings.Cut(l, "=")
		if !ok || k == "" {
			return
		}
		m[k] = unquote(v)
	})
	return m, err
}

// unquote undoes the quoting os-release allows: "..." with backslash
// escapes, '...' literally, or a bare word.
func unquote(v string) string {
	if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
		return v[1 : len(v)-1]
	}
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
		var b strings.Builder
		for i := 0; i < len(v); i++ {
			if v[i] == '\\' && i+1 < len(v) {
				i++
			}
			b.WriteByte(v[i])
		}
		return b.String()
	}
	return v
}

// ParseMemTotal returns MemTotal from /proc/meminfo in bytes.
func ParseMemTotal(r io.Reader) (uint64, error) {
	var total uint64
	var perr error
	err := lines(r, func(l string) {
		rest, ok := strings.CutPrefix(l, "MemTotal:")
		if !ok {
			return
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			perr = fmt.Errorf("empty MemTotal line")
			return
		}
		n, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil {
			perr = fmt.Errorf("MemTotal: %w", err)
			return
		}
		mult := uint64(1)
		if len(f) > 1 && strings.EqualFold(f[1], "kB") {
			mult = 1024
		}
		total = n * mult
	})
	if err == nil {
		err = perr
	}
	if err == nil && total == 0 {
		err = fmt.Errorf("no MemTotal in meminfo")
	}
	return total, err
}

// CPUInfo is what /proc/cpuinfo says about the processors.
type CPUInfo struct {
	Model string
	Count int // "processor" entries
}

// ParseCPUInfo reads /proc/cpuinfo in its x86 ("model name"), LoongArch
// ("Model Name") and Arm ("Model", "Hardware", "CPU implementer"/"CPU part")
// variants.
func ParseCPUInfo(r io.Reader) (CPUInfo, error) {
	var ci CPUInfo
	keys := map[string]string{}
	err := lines(r, func(l string) {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			return
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if k == "processor" {
			ci.Count++
		}
		if _, seen := keys[k]; !seen && v != "" {
			keys[k] = v
		}
	})
	for _, k := range []string{"model name", "Model Name", "Model", "cpu model", "Hardware"} {
		if v := keys[k]; v != "" {
			ci.Model = v
			break
		}
	}
	if ci.Model == "" && keys["CPU implementer"] != "" {
		ci.Model = fmt.Sprintf("implementer %s part %s", keys["CPU implementer"], keys["CPU part"])
	}
	return ci, err
}

// ParseBootTime returns the btime line of /proc/stat.
func ParseBootTime(r io.Reader) (time.Time, error) {
	var bt time.Time
	err := lines(r, func(l string) {
		if rest, ok := strings.CutPrefix(l, "btime "); ok {
			if n, err := strconv.ParseInt(strings.TrimSpace(rest), 10, 64); err == nil && n > 0 {
				bt = time.Unix(n, 0).UTC()
			}
		}
	})
	if err == nil && bt.IsZero() {
		err = fmt.Errorf("no btime in /proc/stat")
	}
	return bt, err
}

// ParseShells returns the login shells listed in /etc/shells.
func ParseShells(r io.Reader) (map[string]bool, error) {
	m := map[string]bool{}
	err := lines(r, func(l string) {
		l = strings.TrimSpace(l)
		if l != "" && l[0] != '#' {
			m[l] = true
		}
	})
	return m, err
}

// ParseLoginUsers returns, in file order, the accounts of /etc/passwd that
// can log in: their shell is listed in shells (when shells is non-nil) and
// is not one of the well-known non-login shells.
func ParseLoginUsers(r io.Reader, shells map[string]bool) ([]string, error) {
	var users []string
	err := lines(r, func(l string) {
		if l == "" || l[0] == '#' {
			return
		}
		f := strings.Split(l, ":")
		if len(f) != 7 || f[0] == "" {
			return
		}
		shell := f[6]
		if shell == "" || noLogin(shell) || (shells != nil && !shells[shell]) {
			return
		}
		users = append(users, f[0])
	})
	return users, err
}

func noLogin(shell string) bool {
	i := strings.LastIndexByte(shell, '/')
	switch shell[i+1:] {
	case "nologin", "false", "sync", "shutdown", "halt", "true":
		return true
	}
	return false
}
