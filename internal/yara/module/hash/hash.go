// Package hash is YARA's "hash" module (as in YARA 4.2.3): md5, sha1 and
// sha256 as lowercase hex strings, crc32 and checksum32 as integers, each over
// a range (offset, size) of the scanned data or over a string.
//
// Digests of ranges are cached per scanned file, as YARA does, because rule
// sets often hash the same range in many rules. Only the YARA engine and
// module/list.go import it.
package hash

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	gohash "hash"
	"hash/crc32"
	"sync"

	"github.com/medshield/medshield/internal/yara/module"
)

// Module is the hash module. The zero value is ready to use.
type Module struct{}

// New returns the hash module.
func New() *Module { return &Module{} }

// Name implements module.Module.
func (*Module) Name() string { return "hash" }

func fn(sigs ...*module.Signature) *module.Type {
	return &module.Type{Kind: module.KindFunc, Funcs: sigs}
}

// Schema implements module.Module.
func (*Module) Schema() *module.Type {
	const I, S = module.KindInteger, module.KindString
	return &module.Type{Kind: module.KindStruct, Fields: []module.Field{
		{Name: "md5", Type: fn(&module.Signature{Args: "ii", Result: S, Impl: digestRange("md5", md5.New)},
			&module.Signature{Args: "s", Result: S, Impl: digestString(md5.New)})},
		{Name: "sha1", Type: fn(&module.Signature{Args: "ii", Result: S, Impl: digestRange("sha1", sha1.New)},
			&module.Signature{Args: "s", Result: S, Impl: digestString(sha1.New)})},
		{Name: "sha256", Type: fn(&module.Signature{Args: "ii", Result: S, Impl: digestRange("sha256", sha256.New)},
			&module.Signature{Args: "s", Result: S, Impl: digestString(sha256.New)})},
		{Name: "checksum32", Type: fn(&module.Signature{Args: "ii", Result: I, Impl: checksumRange},
			&module.Signature{Args: "s", Result: I, Impl: checksumString})},
		{Name: "crc32", Type: fn(&module.Signature{Args: "ii", Result: I, Impl: crcRange},
			&module.Signature{Args: "s", Result: I, Impl: crcString})},
	}}
}

// cache holds range digests of one scanned file.
type cache struct {
	mu sync.Mutex
	m  map[cacheKey][]byte
}

type cacheKey struct {
	algo           string
	offset, length int64
}

// Load implements module.Module. The root carries the per-file digest cache.
func (*Module) Load(sc *module.ScanContext) (module.Value, error) {
	return module.Value{Kind: module.KindStruct, Fields: map[string]module.Value{},
		Private: &cache{m: map[cacheKey][]byte{}}}, nil
}

// span mirrors YARA's range rules on a single memory block: undefined for
// negative arguments or an offset at or past the end; a size past the end
// is clipped.
func span(data []byte, offset, length int64) ([]byte, bool) {
	if offset < 0 || length < 0 || offset >= int64(len(data)) {
		return nil, false
	}
	end := int64(len(data))
	if length < end-offset {
		end = offset + length
	}
	return data[offset:end], true
}

func hexDigest(h gohash.Hash, b []byte) []byte {
	h.Write(b)
	sum := h.Sum(nil)
	out := make([]byte, hex.EncodedLen(len(sum)))
	hex.Encode(out, sum)
	return out
}

func digestRange(algo string, newHash func() gohash.Hash) func(*module.ScanContext, *module.Value, []module.Value) module.Value {
	return func(sc *module.ScanContext, self *module.Value, a []module.Value) module.Value {
		b, ok := span(sc.Data, a[0].I, a[1].I)
		if !ok {
			return module.Undef
		}
		var c *cache
		if self != nil {
			c, _ = self.Private.(*cache)
		}
		key := cacheKey{algo, a[0].I, a[1].I}
		if c != nil {
			c.mu.Lock()
			d, hit := c.m[key]
			c.mu.Unlock()
			if hit {
				return module.Str(d)
			}
		}
		d := hexDigest(newHash(), b)
		if c != nil {
			c.mu.Lock()
			c.m[key] = d
			c.mu.Unlock()
		}
		return module.Str(d)
	}
}

func digestString(newHash func() gohash.Hash) func(*module.ScanContext, *module.Value, []module.Value) module.Value {
	return func(_ *module.ScanContext, _ *module.Value, a []module.Value) module.Value {
		return module.Str(hexDigest(newHash(), a[0].S))
	}
}

func checksum32(b []byte) int64 {
	var sum uint32
	for _, c := range b {
		sum += uint32(c)
	}
	return int64(sum)
}

func checksumRange(sc *module.ScanContext, _ *module.Value, a []module.Value) module.Value {
	b, ok := span(sc.Data, a[0].I, a[1].I)
	if !ok {
		return module.Undef
	}
	return module.Int(checksum32(b))
}

func checksumString(_ *module.ScanContext, _ *module.Value, a []module.Value) module.Value {
	return module.Int(checksum32(a[0].S))
}

// YARA's crc32 table is the IEEE (reflected 0xEDB88320) one, with the usual
// pre- and post-inversion, so it equals crc32.ChecksumIEEE.
func crcRange(sc *module.ScanContext, _ *module.Value, a []module.Value) module.Value {
	b, ok := span(sc.Data, a[0].I, a[1].I)
	if !ok {
		return module.Undef
	}
	return module.Int(int64(crc32.ChecksumIEEE(b)))
}

func crcString(_ *module.ScanContext, _ *module.Value, a []module.Value) module.Value {
	return module.Int(int64(crc32.ChecksumIEEE(a[0].S)))
}
