//go:build windows

package inventory

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/windows/registry"
)

// winRegistry reads the live registry; its results feed the same parsers
// as recorded .reg files (windows.go), which is what the tests exercise.
type winRegistry struct{}

func liveRegistry() Registry { return winRegistry{} }

func openKey(path string) (registry.Key, error) {
	p := normRegPath(path)
	root, rest, _ := strings.Cut(p, `\`)
	var base registry.Key
	switch root {
	case "HKLM":
		base = registry.LOCAL_MACHINE
	case "HKCU":
		base = registry.CURRENT_USER
	case "HKU":
		base = registry.USERS
	case "HKCR":
		base = registry.CLASSES_ROOT
	default:
		return 0, fmt.Errorf("%s: unknown registry root", path)
	}
	// WOW64_64KEY: a 32-bit build must still see the 64-bit view.
	k, err := registry.OpenKey(base, rest, registry.READ|registry.WOW64_64KEY)
	if errors.Is(err, registry.ErrNotExist) {
		return 0, fmt.Errorf("%s: %w", path, ErrNoKey)
	}
	return k, err
}

func (winRegistry) SubKeys(path string) ([]string, error) {
	k, err := openKey(path)
	if err != nil {
		return nil, err
	}
	defer k.Close()
	return k.ReadSubKeyNames(-1)
}

func (winRegistry) Values(path string) (RegValues, error) {
	k, err := openKey(path)
	if err != nil {
		return nil, err
	}
	defer k.Close()
	names, err := k.ReadValueNames(-1)
	if err != nil {
		return nil, err
	}
	out := RegValues{}
	for _, n := range names {
		var s string
		_, typ, err := k.GetValue(n, nil)
		if err != nil {
			continue
		}
		switch typ {
		case registry.SZ, registry.EXPAND_SZ:
			s, _, err = k.GetStringValue(n)
		case registry.MULTI_SZ:
			var ss []string
			ss, _, err = k.GetStringsValue(n)
			s = strings.Join(ss, "\n")
		case registry.DWORD, registry.QWORD:
			var u uint64
			u, _, err = k.GetIntegerValue(n)
			s = strconv.FormatUint(u, 10)
		default:
			continue
		}
		if err == nil {
			out[strings.ToLower(n)] = s
		}
	}
	return out, nil
}
