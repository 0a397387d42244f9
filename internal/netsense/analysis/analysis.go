// Package analysis is the contract between the sensor engine and its
// detectors: what a detector sees (Observations of flows, packets and
// dissected protocol records), what it may use (Env: configuration, home
// networks, indicators) and what it produces (Alerts naming a Rule).
//
// Detectors live in netsense/detect/<name> and are listed explicitly in
// netsense/detect/list.go; see docs/sensor.md for how to add one. This
// package holds no state of its own. The engine and detectors import it.
package analysis

import (
	"net/netip"

	"github.com/medshield/medshield/internal/ioc"
	"github.com/medshield/medshield/internal/netsense/flowtable"
	"github.com/medshield/medshield/internal/netsense/proto"
)

// Kind is the kind of an observation.
type Kind uint32

// Observation kinds (bits, so a detector can want several).
const (
	FlowStart Kind = 1 << iota // first packet of a flow (TCP flags in Flags)
	FlowEnd                    // flow left the table (timeout, eviction, end of input)
	Record                     // a dissected protocol record (Rec)
	Tick                       // packet time advanced by ≥ 1 s (for windows)
)

// Observation is what a detector is shown. Pointers are only valid during
// the Observe call.
type Observation struct {
	Kind  Kind
	Time  int64 // packet time, Unix nanoseconds
	Flow  *flowtable.Flow
	Dir   int          // direction of the packet or record (0 = client to server)
	Flags uint8        // TCP flags of the first packet (FlowStart)
	Rec   proto.Record // Record
	App   proto.App    // protocol of the flow, when known
}

// Detector is one detection plugin. Observe is called for the kinds in
// Wants, in packet-time order, from one goroutine. Flush is called at the
// end of input (and at shutdown) for detectors that aggregate.
type Detector interface {
	Name() string
	Version() string
	Rules() []*Rule // every rule the detector can raise
	Wants() Kind
	Observe(env *Env, o *Observation)
	Flush(env *Env, now int64)
}

// Env is what detectors may use. Emit sends an alert; the engine
// de-duplicates by rule, endpoints and Alert.Key.
type Env struct {
	Config  *Config
	IOC     *ioc.Set
	HomeNet *NetSet
	Emit    func(Alert)
}

// Rule identifies a detection.
type Rule struct {
	ID        string // medshield rule id, e.g. "ms17-010.eternalblue"
	SID       int    // EVE alert.signature_id (medshield range 9100000+)
	Name      string
	Category  string
	Technique string // MITRE ATT&CK technique id
	Severity  int    // event.severity, 0-100
}

// Alert is one detection.
type Alert struct {
	Rule      *Rule
	Time      int64
	Src, Dst  netip.AddrPort
	Proto     uint8
	FlowID    uint64
	Indicator string         // the matched indicator, if any
	Message   string         // one line, no patient data
	Evidence  map[string]any // small, no patient data (identifiers masked)
	Key       string         // extra de-duplication key (e.g. the indicator)
}

// NetSet is a set of networks (the home networks).
type NetSet struct{ prefixes []netip.Prefix }

// NewNetSet returns a set of the given prefixes.
func NewNetSet(p []netip.Prefix) *NetSet { return &NetSet{prefixes: p} }

// Contains reports whether a is in one of the networks.
func (n *NetSet) Contains(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range n.prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Prefixes returns the networks.
func (n *NetSet) Prefixes() []netip.Prefix { return n.prefixes }

// External reports whether a is a routable address outside the home
// networks (not loopback, link-local or multicast).
func (n *NetSet) External(a netip.Addr) bool {
	a = a.Unmap()
	if a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsMulticast() || a.IsUnspecified() || a.IsLinkLocalMulticast() {
		return false
	}
	if a.Is4() && a.As4()[3] == 255 { // likely a broadcast
		return false
	}
	return !n.Contains(a)
}
