package sigma

import (
	"encoding/json"
	"strconv"
	"time"
)

// Event is what rules are matched against. Field names are those of the
// Sigma view of the log (for Windows: EventID, Channel, Provider_Name,
// EventData names...). Values may be string, json.Number, float64, int,
// int64, uint64, bool, nil, []string or []any.
type Event interface {
	// Get returns the value of a field and whether the field is present.
	Get(field string) (any, bool)
	// Range calls fn for every field until fn returns false; keyword
	// searches look at every value.
	Range(fn func(field string, value any) bool)
}

// MapEvent is an Event backed by a flat map.
type MapEvent map[string]any

// Get implements Event.
func (m MapEvent) Get(field string) (any, bool) {
	v, ok := m[field]
	return v, ok
}

// Range implements Event.
func (m MapEvent) Range(fn func(string, any) bool) {
	for k, v := range m {
		if !fn(k, v) {
			return
		}
	}
}

// StringsEvent is an Event backed by a map of strings (the form
// evtx.Record.Fields returns).
type StringsEvent map[string]string

// Get implements Event.
func (m StringsEvent) Get(field string) (any, bool) {
	v, ok := m[field]
	return v, ok
}

// Range implements Event.
func (m StringsEvent) Range(fn func(string, any) bool) {
	for k, v := range m {
		if !fn(k, v) {
			return
		}
	}
}

// stringRanger is implemented by events whose values are all strings; it
// lets keyword search walk them without boxing each value.
type stringRanger interface {
	RangeStrings(fn func(field, value string) bool)
}

// RangeStrings calls fn for every field until fn returns false.
func (m StringsEvent) RangeStrings(fn func(string, string) bool) {
	for k, v := range m {
		if !fn(k, v) {
			return
		}
	}
}

// toStrings renders an event value as the strings rules compare against.
// null is reported separately so that "Field: null" can see it.
func toStrings(v any, buf []string) (out []string, null bool) {
	switch x := v.(type) {
	case nil:
		return buf, true
	case string:
		return append(buf, x), false
	case json.Number:
		return append(buf, string(x)), false
	case float64:
		return append(buf, strconv.FormatFloat(x, 'f', -1, 64)), false
	case int:
		return append(buf, strconv.Itoa(x)), false
	case int64:
		return append(buf, strconv.FormatInt(x, 10)), false
	case uint64:
		return append(buf, strconv.FormatUint(x, 10)), false
	case uint32:
		return append(buf, strconv.FormatUint(uint64(x), 10)), false
	case int32:
		return append(buf, strconv.FormatInt(int64(x), 10)), false
	case bool:
		return append(buf, strconv.FormatBool(x)), false
	case []string:
		return append(buf, x...), false
	case []any:
		for _, e := range x {
			buf, _ = toStrings(e, buf)
		}
		return buf, len(x) == 0
	case time.Time:
		return append(buf, x.UTC().Format(time.RFC3339Nano)), false
	case map[string]any:
		b, _ := json.Marshal(x)
		return append(buf, string(b)), false
	}
	b, err := json.Marshal(v)
	if err != nil {
		return buf, true
	}
	return append(buf, string(b)), false
}

// timeFields are tried, in order, to find an event's time.
var timeFields = []string{"TimeCreated_SystemTime", "@timestamp", "timestamp", "time", "UtcTime", "Event.System.TimeCreated.SystemTime"}

// EventTime returns the time of an event from its usual time fields.
func EventTime(ev Event) (time.Time, bool) {
	for _, f := range timeFields {
		v, ok := ev.Get(f)
		if !ok {
			continue
		}
		if t, ok := v.(time.Time); ok {
			return t, true
		}
		ss, _ := toStrings(v, nil)
		if len(ss) == 1 {
			if t, ok := ParseTime(ss[0]); ok {
				return t, true
			}
		}
	}
	return time.Time{}, false
}

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02",
}

// ParseTime parses the time formats found in event logs (RFC 3339, with a
// space instead of T, without zone meaning UTC).
func ParseTime(s string) (time.Time, bool) {
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}
