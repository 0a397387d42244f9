package scansched

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"
)

// fileID is a file's identity: if it is unchanged, so is the content.
type fileID struct {
	Dev, Ino uint64
	Size     int64
	MTime    int64 // ns
	CTime    int64 // ns
}

// Cache remembers clean verdicts: content hashes that the current rule set
// found nothing in, and file identities known to have one of those hashes.
// A file whose identity is cached is skipped without being read; a file whose
// content hash is cached is read (to hash it) but not scanned. Detections are
// never cached, so a detected file is reported again by every scan until it
// is removed or quarantined.
//
// On disk it is a JSON-lines file (a header, then one record per entry),
// rewritten atomically by Save (temporary file, fsync, rename, fsync of the
// directory), so a crash leaves the old or the new file, never a mix. Lines
// that do not parse are skipped. It holds at most max hashes and max
// identities; the least recently used are dropped first.
type Cache struct {
	mu    sync.Mutex
	path  string
	max   int
	rules string
	ids   map[fileID][32]byte
	clean map[[32]byte]int64 // hash -> last used, unix seconds
	idUse map[fileID]int64
	last  map[string]time.Time // scheduled scan name -> last start
	dirty bool
	now   func() time.Time
}

const cacheFormat = 1

type cacheHeader struct {
	Format int                  `json:"format"`
	Rules  string               `json:"rules"`
	Last   map[string]time.Time `json:"last_runs,omitempty"`
}

type cacheRecord struct {
	Hash string  `json:"h"`
	ID   *fileID `json:"id,omitempty"`
	Used int64   `json:"u"`
}

// OpenCache loads the cache at path ("" for memory only) for the given rule
// set version. A missing file is an empty cache; a file written for another
// rule set keeps only the last-run times.
func OpenCache(path string, max int, rules string) (*Cache, error) {
	if max <= 0 {
		max = DefaultCacheEntries
	}
	c := &Cache{path: path, max: max, rules: rules, ids: map[fileID][32]byte{},
		clean: map[[32]byte]int64{}, idUse: map[fileID]int64{}, last: map[string]time.Time{}, now: time.Now}
	if path == "" {
		return c, nil
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open scan cache: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	if !sc.Scan() {
		return c, nil
	}
	var h cacheHeader
	if json.Unmarshal(sc.Bytes(), &h) != nil || h.Format != cacheFormat {
		return c, nil // unreadable: start afresh, it is only a cache
	}
	for k, v := range h.Last {
		c.last[k] = v
	}
	if h.Rules != rules {
		c.dirty = true
		return c, nil
	}
	for sc.Scan() {
		var r cacheRecord
		if json.Unmarshal(sc.Bytes(), &r) != nil {
			continue
		}
		var sum [32]byte
		if b, err := hex.DecodeString(r.Hash); err != nil || len(b) != 32 {
			continue
		} else {
			copy(sum[:], b)
		}
		if r.Used > c.clean[sum] {
			c.clean[sum] = r.Used
		}
		if r.ID != nil {
			c.ids[*r.ID] = sum
			c.idUse[*r.ID] = r.Used
		}
	}
	c.evict()
	return c, nil
}

// DefaultCacheEntries bounds the cache (about 150 bytes per entry on disk).
const DefaultCacheEntries = 100000

// SetRules switches to another rule set version, forgetting all verdicts if
// it differs.
func (c *Cache) SetRules(v string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v == c.rules {
		return
	}
	c.rules = v
	c.ids = map[fileID][32]byte{}
	c.clean = map[[32]byte]int64{}
	c.idUse = map[fileID]int64{}
	c.dirty = true
}

// cleanID reports whether a file with this identity is known clean.
func (c *Cache) cleanID(id fileID) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	sum, ok := c.ids[id]
	if !ok {
		return false
	}
	if _, ok := c.clean[sum]; !ok {
		return false
	}
	now := c.now().Unix()
	c.idUse[id], c.clean[sum] = now, now
	return true
}

// cleanHash reports whether this content is known clean.
func (c *Cache) cleanHash(sum [32]byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.clean[sum]
	if ok {
		c.clean[sum] = c.now().Unix()
	}
	return ok
}

// putClean records clean content and, when id is not nil, the identity of
// the file it was read from.
func (c *Cache) putClean(id *fileID, sum [32]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now().Unix()
	c.clean[sum] = now
	if id != nil {
		c.ids[*id] = sum
		c.idUse[*id] = now
	}
	c.dirty = true
	if len(c.clean) > c.max || len(c.ids) > c.max {
		c.evict()
	}
}

// evict drops the least recently used tenth beyond the bound (a tenth, so
// eviction's sort is amortised over many inserts).
func (c *Cache) evict() {
	target := c.max - c.max/10
	if len(c.ids) > c.max {
		ids := make([]fileID, 0, len(c.ids))
		for id := range c.ids {
			ids = append(ids, id)
		}
		sort.Slice(ids, func(i, j int) bool { return c.idUse[ids[i]] < c.idUse[ids[j]] })
		for _, id := range ids[:len(ids)-target] {
			delete(c.ids, id)
			delete(c.idUse, id)
		}
	}
	if len(c.clean) > c.max {
		sums := make([][32]byte, 0, len(c.clean))
		for s := range c.clean {
			sums = append(sums, s)
		}
		sort.Slice(sums, func(i, j int) bool { return c.clean[sums[i]] < c.clean[sums[j]] })
		for _, s := range sums[:len(sums)-target] {
			delete(c.clean, s)
		}
	}
}

// Len returns the number of clean hashes and identities held.
func (c *Cache) Len() (hashes, ids int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.clean), len(c.ids)
}

// LastRun returns when the named scheduled scan last started (zero: never).
func (c *Cache) LastRun(name string) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last[name]
}

// SetLastRun records the start of a scheduled scan.
func (c *Cache) SetLastRun(name string, t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.last[name] = t
	c.dirty = true
}

// Save writes the cache if it changed since the last save.
func (c *Cache) Save() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.path == "" || !c.dirty {
		return nil
	}
	dir := filepath.Dir(c.path)
	tmp, err := os.CreateTemp(dir, filepath.Base(c.path)+".tmp*")
	if err != nil {
		return fmt.Errorf("save scan cache: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	w := bufio.NewWriter(tmp)
	enc := json.NewEncoder(w)
	err = enc.Encode(cacheHeader{Format: cacheFormat, Rules: c.rules, Last: c.last})
	referenced := make(map[[32]byte]bool, len(c.clean))
	for id, sum := range c.ids {
		if _, ok := c.clean[sum]; !ok || err != nil {
			continue
		}
		referenced[sum] = true
		id := id
		err = enc.Encode(cacheRecord{Hash: hex.EncodeToString(sum[:]), ID: &id, Used: c.idUse[id]})
	}
	for sum, used := range c.clean {
		if !referenced[sum] && err == nil {
			err = enc.Encode(cacheRecord{Hash: hex.EncodeToString(sum[:]), Used: used})
		}
	}
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), c.path)
	}
	if err != nil {
		return fmt.Errorf("save scan cache %s: %w", c.path, err)
	}
	if d, err := os.Open(dir); err == nil { // make the rename durable
		d.Sync()
		d.Close()
	}
	c.dirty = false
	return nil
}
