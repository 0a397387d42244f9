package sigma

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/medshield/medshield/rules"
)

// Variant is one way a logsource appears in the logs: the events that carry
// it (channel, provider, event ids) and how Sigma field names map to the
// event's own names. A logsource may have several variants (Sysmon and
// Security process creation); a rule is compiled once per variant.
type Variant struct {
	Name      string            `yaml:"name"`
	Product   string            `yaml:"product"`
	Category  string            `yaml:"category"`
	Service   string            `yaml:"service"`
	Channels  []string          `yaml:"channels"`
	Providers []string          `yaml:"providers"`
	EventIDs  []int             `yaml:"event_ids"`
	Fields    map[string]string `yaml:"fields"`
	// Available, when set, lists the fields this variant's events have
	// (after mapping, besides the common System fields). A rule reading
	// another field is not compiled for this variant.
	Available []string `yaml:"available"`

	avail map[string]bool
}

// Mapping routes logsources to events. It is data: the default is embedded
// from rules/sigma/mapping/logsources.yml and a site may replace it (--mapping).
type Mapping struct {
	// Common lists the fields every event of a routed product has.
	Common []string `yaml:"common"`
	// Routed lists the products whose rules must have a variant; rules for
	// other products without one run on events that carry no Channel.
	Routed       []string            `yaml:"routed_products"`
	Placeholders map[string][]string `yaml:"placeholders"`
	Logsources   []*Variant          `yaml:"logsources"`
	// ChannelField, EventIDField and ProviderField name the event fields
	// used for routing (default Channel, EventID, Provider_Name).
	ChannelField  string `yaml:"channel_field"`
	EventIDField  string `yaml:"event_id_field"`
	ProviderField string `yaml:"provider_field"`

	common map[string]bool
	routed map[string]bool
}

// ParseMapping reads a logsource mapping file.
func ParseMapping(name string, data []byte) (*Mapping, error) {
	var m Mapping
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("mapping %s: %w", name, err)
	}
	if m.ChannelField == "" {
		m.ChannelField = "Channel"
	}
	if m.EventIDField == "" {
		m.EventIDField = "EventID"
	}
	if m.ProviderField == "" {
		m.ProviderField = "Provider_Name"
	}
	m.common = set(m.Common)
	m.routed = set(m.Routed)
	for i, v := range m.Logsources {
		if v.Product == "" && v.Category == "" && v.Service == "" {
			return nil, fmt.Errorf("mapping %s: logsource %d (%s) has no product, category or service", name, i+1, v.Name)
		}
		v.Product, v.Category, v.Service = strings.ToLower(v.Product), strings.ToLower(v.Category), strings.ToLower(v.Service)
		if v.Available != nil {
			v.avail = set(v.Available)
		}
	}
	return &m, nil
}

// DefaultMapping returns the embedded mapping (rules/sigma/mapping/logsources.yml).
func DefaultMapping() (*Mapping, error) {
	data, err := rules.Sigma.ReadFile("sigma/mapping/logsources.yml")
	if err != nil {
		return nil, fmt.Errorf("embedded sigma mapping: %w", err)
	}
	return ParseMapping("rules/sigma/mapping/logsources.yml", data)
}

func set(xs []string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

// variants returns the variants of a rule's logsource. An exact match on
// product, category and service wins; a rule without product matches any
// product; a rule with both category and service falls back to the
// category alone.
func (m *Mapping) variants(product, category, service string) []*Variant {
	find := func(useService bool) []*Variant {
		var out []*Variant
		for _, v := range m.Logsources {
			if (product == "" || v.Product == product) && v.Category == category && (!useService || v.Service == service) {
				if !useService && v.Service != "" {
					continue
				}
				out = append(out, v)
			}
		}
		return out
	}
	out := find(true)
	if len(out) == 0 && category != "" && service != "" {
		out = find(false)
	}
	return out
}

// available reports whether events of v have field f.
func (m *Mapping) available(v *Variant, f string) bool {
	return v.avail == nil || v.avail[f] || m.common[f]
}

// routeKey is the pre-index key: lower-case channel and event id ("" for
// any event id).
type routeKey struct {
	channel string
	eventID string
}

func (v *Variant) keys() []routeKey {
	var out []routeKey
	for _, ch := range v.Channels {
		ch = strings.ToLower(ch)
		if len(v.EventIDs) == 0 {
			out = append(out, routeKey{channel: ch})
		}
		for _, id := range v.EventIDs {
			out = append(out, routeKey{channel: ch, eventID: strconv.Itoa(id)})
		}
	}
	return out
}

// Summary describes the mapping for documentation and `rules check`.
func (m *Mapping) Summary() []string {
	var out []string
	for _, v := range m.Logsources {
		ids := make([]string, len(v.EventIDs))
		for i, id := range v.EventIDs {
			ids[i] = strconv.Itoa(id)
		}
		out = append(out, fmt.Sprintf("%s/%s/%s -> %s %s", v.Product, v.Category, v.Service, strings.Join(v.Channels, ","), strings.Join(ids, ",")))
	}
	sort.Strings(out)
	return out
}
