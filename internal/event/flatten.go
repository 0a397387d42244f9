package event

import (
	"encoding/json"
	"strconv"
)

// Flatten returns the event as a map of dotted ECS field names to scalar
// values (strings, numbers, bools, or []string), the form used for exact-match
// queries and for Sigma field lookups. Nested objects become dotted names
// ("process.command_line"); Fields entries keep their own names.
func (e *Event) Flatten() map[string]any {
	b, err := json.Marshal(e)
	if err != nil {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil
	}
	out := make(map[string]any, len(m)+8)
	flattenInto(out, "", m)
	delete(out, "raw")
	return out
}

func flattenInto(out map[string]any, prefix string, v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, vv := range x {
			name := k
			if prefix != "" {
				// The "fields" and "labels" containers are transparent for
				// fields and prefixed for labels, as in ECS.
				switch prefix {
				case "fields":
					name = k
				default:
					name = prefix + "." + k
				}
			}
			flattenInto(out, name, vv)
		}
	case []any:
		strs := make([]string, 0, len(x))
		for _, vv := range x {
			switch s := vv.(type) {
			case string:
				strs = append(strs, s)
			case float64:
				strs = append(strs, strconv.FormatFloat(s, 'f', -1, 64))
			default:
				b, _ := json.Marshal(s)
				strs = append(strs, string(b))
			}
		}
		out[prefix] = strs
	default:
		out[prefix] = x
	}
}

// Get returns the value of a dotted field name, or nil.
func (e *Event) Get(field string) any {
	return e.Flatten()[field]
}
