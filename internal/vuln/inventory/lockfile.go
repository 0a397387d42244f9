package inventory

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// maxLockfile bounds a lockfile read.
const maxLockfile = 64 << 20

// ReadLockfile reads the language packages pinned by a lockfile, chosen by
// its name: package-lock.json or npm-shrinkwrap.json (npm), requirements*.txt
// (PyPI, "name==version" pins only), poetry.lock (PyPI).
func ReadLockfile(path string) ([]Package, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := io.LimitReader(f, maxLockfile)
	base := strings.ToLower(filepath.Base(path))
	var pkgs []Package
	switch {
	case base == "package-lock.json" || base == "npm-shrinkwrap.json":
		pkgs, err = ParseNPMLock(r)
	case strings.HasPrefix(base, "requirements") && strings.HasSuffix(base, ".txt"):
		pkgs, err = ParseRequirements(r)
	case base == "poetry.lock":
		pkgs, err = ParsePoetryLock(r)
	default:
		return nil, fmt.Errorf("%s: unknown lockfile type", path)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for i := range pkgs {
		pkgs[i].Location = path
	}
	return pkgs, nil
}

// ParseNPMLock reads package-lock.json v1 ("dependencies") and v2/v3
// ("packages", keyed by node_modules path).
func ParseNPMLock(r io.Reader) ([]Package, error) {
	var lock struct {
		Packages map[string]struct {
			Name    string `json:"name"`
			Version string `json:"version"`
			Link    bool   `json:"link"`
		} `json:"packages"`
		Dependencies map[string]json.RawMessage `json:"dependencies"`
	}
	if err := json.NewDecoder(r).Decode(&lock); err != nil {
		return nil, fmt.Errorf("package-lock: %w", err)
	}
	seen := map[string]bool{}
	var out []Package
	add := func(name, ver string) {
		if name == "" || ver == "" || seen[name+"@"+ver] {
			return
		}
		seen[name+"@"+ver] = true
		out = append(out, Package{Name: name, Version: ver, Manager: NPM, Ecosystem: "npm"})
	}
	for key, p := range lock.Packages {
		if key == "" || p.Link {
			continue // the root project, or a workspace link
		}
		name := p.Name
		if name == "" {
			i := strings.LastIndex(key, "node_modules/")
			if i < 0 {
				continue
			}
			name = key[i+len("node_modules/"):]
		}
		add(name, p.Version)
	}
	if len(lock.Packages) == 0 {
		var walk func(map[string]json.RawMessage, int)
		walk = func(deps map[string]json.RawMessage, depth int) {
			if depth > 64 {
				return
			}
			for name, raw := range deps {
				var d struct {
					Version      string                     `json:"version"`
					Dependencies map[string]json.RawMessage `json:"dependencies"`
				}
				if json.Unmarshal(raw, &d) != nil {
					continue
				}
				add(name, d.Version)
				walk(d.Dependencies, depth+1)
			}
		}
		walk(lock.Dependencies, 0)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name+out[i].Version < out[j].Name+out[j].Version })
	return out, nil
}

// ParseRequirements reads "name==version" pins from a pip requirements
// file; unpinned requirements, options and includes are skipped (their
// installed version is unknown).
func ParseRequirements(r io.Reader) ([]Package, error) {
	var out []Package
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if i := strings.Index(line, "#"); i >= 0 {
			line = line[:i]
		}
		if i := strings.Index(line, ";"); i >= 0 {
			line = line[:i] // environment markers
		}
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "-") {
			continue
		}
		name, ver, ok := strings.Cut(line, "==")
		if !ok || strings.HasPrefix(ver, "=") {
			continue
		}
		name = strings.TrimSpace(name)
		if i := strings.IndexByte(name, '['); i >= 0 {
			name = name[:i] // extras
		}
		ver = strings.TrimSpace(strings.Fields(ver + " ")[0])
		if name != "" && ver != "" {
			out = append(out, Package{Name: name, Version: ver, Manager: Pip, Ecosystem: "PyPI"})
		}
	}
	return out, sc.Err()
}

// ParsePoetryLock reads the name and version of each [[package]] table.
func ParsePoetryLock(r io.Reader) ([]Package, error) {
	var out []Package
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var cur *Package
	inPkg := false
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") {
			inPkg = line == "[[package]]"
			if inPkg {
				out = append(out, Package{Manager: Poetry, Ecosystem: "PyPI"})
				cur = &out[len(out)-1]
			}
			continue
		}
		if !inPkg {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		v = strings.Trim(strings.TrimSpace(v), `"'`)
		switch strings.TrimSpace(k) {
		case "name":
			cur.Name = v
		case "version":
			cur.Version = v
		}
	}
	kept := out[:0]
	for _, p := range out {
		if p.Name != "" && p.Version != "" {
			kept = append(kept, p)
		}
	}
	return kept, sc.Err()
}
