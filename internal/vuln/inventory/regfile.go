package inventory

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
)

// Registry is read access to a Windows registry: the live one on Windows
// (registry_windows.go) or a recorded .reg export (RegFile). Paths look
// like `HKLM\SOFTWARE\Microsoft`; lookups are case-insensitive like the
// registry itself. A missing key returns ErrNoKey.
type Registry interface {
	SubKeys(path string) ([]string, error)
	Values(path string) (RegValues, error)
}

// ErrNoKey is returned for a registry key that does not exist.
var ErrNoKey = fmt.Errorf("registry key not found")

// RegValues holds a key's values by lower-case name. Strings are as
// stored; DWORD and QWORD values are decimal; MULTI_SZ entries are joined
// with "\n"; binary values are hex.
type RegValues map[string]string

// Get returns a value by case-insensitive name.
func (v RegValues) Get(name string) (string, bool) {
	s, ok := v[strings.ToLower(name)]
	return s, ok
}

// Int returns a numeric value, or def when absent or not a number.
func (v RegValues) Int(name string, def int) int {
	s, ok := v.Get(name)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return def
	}
	return n
}

// RegFile is a registry recorded with `reg export` or regedit (format
// "Windows Registry Editor Version 5.00", UTF-16LE or UTF-8).
type RegFile struct {
	keys map[string]RegValues // lower-case normalised path → values
	subs map[string][]string  // lower-case path → child names as recorded
}

// Limits for untrusted .reg files.
const (
	maxRegLine = 1 << 20
	maxRegKeys = 1 << 20
)

var regRoots = map[string]string{
	"hkey_local_machine": "HKLM", "hklm": "HKLM",
	"hkey_current_user": "HKCU", "hkcu": "HKCU",
	"hkey_users": "HKU", "hku": "HKU",
	"hkey_classes_root": "HKCR", "hkcr": "HKCR",
}

// normRegPath maps "HKEY_LOCAL_MACHINE\Foo\\Bar" to "HKLM\Foo\Bar".
func normRegPath(p string) string {
	p = strings.Trim(p, `\`)
	root, rest, _ := strings.Cut(p, `\`)
	if r, ok := regRoots[strings.ToLower(root)]; ok {
		root = r
	}
	var parts []string
	for _, s := range strings.Split(rest, `\`) {
		if s != "" {
			parts = append(parts, s)
		}
	}
	if len(parts) == 0 {
		return root
	}
	return root + `\` + strings.Join(parts, `\`)
}

// ParseRegFile parses a .reg export.
func ParseRegFile(r io.Reader) (*RegFile, error) {
	data, err := io.ReadAll(io.LimitReader(r, 256<<20))
	if err != nil {
		return nil, fmt.Errorf("reading .reg file: %w", err)
	}
	if bytes.HasPrefix(data, []byte{0xff, 0xfe}) {
		data = utf16leToUTF8(data[2:])
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	rf := &RegFile{keys: map[string]RegValues{}, subs: map[string][]string{}}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), maxRegLine)
	var cur RegValues
	n := 0
	var pending strings.Builder
	for sc.Scan() {
		n++
		line := strings.TrimRight(sc.Text(), "\r")
		if pending.Len() > 0 {
			line = pending.String() + strings.TrimSpace(line)
			pending.Reset()
		}
		if strings.HasSuffix(line, `\`) && !strings.HasPrefix(line, "[") {
			pending.WriteString(strings.TrimSuffix(line, `\`))
			if pending.Len() > maxRegLine {
				return nil, fmt.Errorf(".reg line %d: continued value too long", n)
			}
			continue
		}
		t := strings.TrimSpace(line)
		switch {
		case t == "" || strings.HasPrefix(t, ";") || strings.HasPrefix(t, "Windows Registry Editor") || strings.HasPrefix(t, "REGEDIT"):
			continue
		case strings.HasPrefix(t, "[-"):
			cur = nil // deletion entries are ignored
		case strings.HasPrefix(t, "["):
			if !strings.HasSuffix(t, "]") {
				return nil, fmt.Errorf(".reg line %d: key without closing ']'", n)
			}
			if len(rf.keys) >= maxRegKeys {
				return nil, fmt.Errorf(".reg line %d: more than %d keys", n, maxRegKeys)
			}
			cur = rf.addKey(normRegPath(t[1 : len(t)-1]))
		default:
			if cur == nil {
				return nil, fmt.Errorf(".reg line %d: value outside a key", n)
			}
			name, val, err := parseRegValue(t)
			if err != nil {
				return nil, fmt.Errorf(".reg line %d: %w", n, err)
			}
			cur[strings.ToLower(name)] = val
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf(".reg line %d: %w", n, err)
	}
	for k := range rf.subs {
		sort.Strings(rf.subs[k])
	}
	return rf, nil
}

func (rf *RegFile) addKey(path string) RegValues {
	lp := strings.ToLower(path)
	if v, ok := rf.keys[lp]; ok {
		return v
	}
	v := RegValues{}
	rf.keys[lp] = v
	// Register the key with every ancestor so that SubKeys works for keys
	// the export only implies.
	for {
		i := strings.LastIndexByte(path, '\\')
		if i < 0 {
			break
		}
		parent, child := path[:i], path[i+1:]
		lparent := strings.ToLower(parent)
		_, seen := rf.keys[lparent]
		rf.subs[lparent] = append(rf.subs[lparent], child)
		if seen {
			break
		}
		rf.keys[lparent] = RegValues{}
		path = parent
	}
	return v
}

// SubKeys lists the child key names of path.
func (rf *RegFile) SubKeys(path string) ([]string, error) {
	lp := strings.ToLower(normRegPath(path))
	if _, ok := rf.keys[lp]; !ok {
		return nil, fmt.Errorf("%s: %w", path, ErrNoKey)
	}
	return rf.subs[lp], nil
}

// Values returns the values of path.
func (rf *RegFile) Values(path string) (RegValues, error) {
	v, ok := rf.keys[strings.ToLower(normRegPath(path))]
	if !ok {
		return nil, fmt.Errorf("%s: %w", path, ErrNoKey)
	}
	return v, nil
}

// parseRegValue parses `"Name"=...` or `@=...` (the default value).
func parseRegValue(t string) (name, val string, err error) {
	var rest string
	if strings.HasPrefix(t, "@=") {
		name, rest = "", t[2:]
	} else {
		if !strings.HasPrefix(t, `"`) {
			return "", "", fmt.Errorf("value %q: expected a quoted name", truncate(t))
		}
		s, r, ok := readRegString(t)
		if !ok || !strings.HasPrefix(r, "=") {
			return "", "", fmt.Errorf("value %q: expected \"name\"=data", truncate(t))
		}
		name, rest = s, r[1:]
	}
	switch {
	case strings.HasPrefix(rest, `"`):
		s, r, ok := readRegString(rest)
		if !ok || strings.TrimSpace(r) != "" {
			return "", "", fmt.Errorf("value %q: bad string data", name)
		}
		return name, s, nil
	case strings.HasPrefix(rest, "dword:"):
		u, err := strconv.ParseUint(strings.TrimSpace(rest[6:]), 16, 32)
		if err != nil {
			return "", "", fmt.Errorf("value %q: bad dword: %v", name, err)
		}
		return name, strconv.FormatUint(u, 10), nil
	case strings.HasPrefix(rest, "hex"):
		kind := "3"
		r := rest[3:]
		if strings.HasPrefix(r, "(") {
			end := strings.IndexByte(r, ')')
			if end < 0 {
				return "", "", fmt.Errorf("value %q: bad hex type", name)
			}
			kind, r = r[1:end], r[end+1:]
		}
		if !strings.HasPrefix(r, ":") {
			return "", "", fmt.Errorf("value %q: expected ':' after hex type", name)
		}
		b, err := hex.DecodeString(strings.NewReplacer(",", "", " ", "").Replace(r[1:]))
		if err != nil {
			return "", "", fmt.Errorf("value %q: bad hex data: %v", name, err)
		}
		switch kind {
		case "2", "1": // REG_EXPAND_SZ, REG_SZ
			return name, strings.TrimRight(string(utf16leToUTF8(b)), "\x00"), nil
		case "7": // REG_MULTI_SZ
			s := strings.Trim(string(utf16leToUTF8(b)), "\x00")
			return name, strings.ReplaceAll(s, "\x00", "\n"), nil
		case "b": // REG_QWORD
			if len(b) != 8 {
				return "", "", fmt.Errorf("value %q: qword of %d bytes", name, len(b))
			}
			return name, strconv.FormatUint(binary.LittleEndian.Uint64(b), 10), nil
		case "4": // REG_DWORD written as hex(4)
			if len(b) != 4 {
				return "", "", fmt.Errorf("value %q: dword of %d bytes", name, len(b))
			}
			return name, strconv.FormatUint(uint64(binary.LittleEndian.Uint32(b)), 10), nil
		}
		return name, hex.EncodeToString(b), nil
	case rest == "-":
		return name, "", nil
	}
	return "", "", fmt.Errorf("value %q: unknown data %q", name, truncate(rest))
}

// readRegString reads a quoted .reg string with \" and \\ escapes and
// returns the remainder after the closing quote.
func readRegString(s string) (string, string, bool) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
		case '"':
			return b.String(), s[i+1:], true
		default:
			b.WriteByte(s[i])
		}
	}
	return "", "", false
}

func utf16leToUTF8(b []byte) []byte {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return []byte(string(utf16.Decode(u)))
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
