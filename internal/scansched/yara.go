package scansched

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"sort"

	"github.com/medshield/medshield/internal/yara"
)

// YARA adapts a compiled rule set of internal/yara to Scanner.
type YARA struct {
	rules   *yara.Rules
	opts    yara.ScanOptions
	version string
}

// NewYARA wraps rules. The rules version is a SHA-256 of the rule sources
// and included files, so recompiling the same rules keeps the cache valid
// and any edit invalidates it. opts applies to every scan (a Timeout is
// advisable: a pathological rule must not stall the scanner).
func NewYARA(rules *yara.Rules, opts yara.ScanOptions) *YARA {
	h := sha256.New()
	field := func(b []byte) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	for _, s := range rules.Sources() {
		field([]byte(s.Name))
		field([]byte(s.Namespace))
		field(s.Text)
	}
	return &YARA{rules: rules, opts: opts, version: "yara:" + hex.EncodeToString(h.Sum(nil))[:32]}
}

// RulesVersion implements Scanner.
func (y *YARA) RulesVersion() string { return y.version }

// Scan implements Scanner.
func (y *YARA) Scan(ctx context.Context, name string, data []byte) ([]Detection, error) {
	opts := y.opts
	ms, err := y.rules.Scan(ctx, data, &opts)
	if err != nil {
		return nil, err
	}
	dets := make([]Detection, 0, len(ms))
	for _, m := range ms {
		d := Detection{Rule: m.Rule.Name, Namespace: m.Rule.Namespace, Tags: m.Rule.Tags}
		if len(m.Rule.Meta) > 0 {
			d.Meta = make(map[string]string, len(m.Rule.Meta))
			for _, kv := range m.Rule.Meta {
				if _, dup := d.Meta[kv.Key]; !dup { // YARA allows repeated keys; keep the first
					d.Meta[kv.Key] = fmt.Sprint(kv.Value)
				}
			}
		}
		dets = append(dets, d)
	}
	sort.Slice(dets, func(i, j int) bool {
		return dets[i].Namespace+"\x00"+dets[i].Rule < dets[j].Namespace+"\x00"+dets[j].Rule
	})
	return dets, nil
}
