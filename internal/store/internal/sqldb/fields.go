package sqldb

import (
	"reflect"
	"strings"
	"sync"

	"github.com/medshield/medshield/internal/event"
)

// The stored document is the event's JSON as event.Event marshals it: flat
// dotted names at the top level ("host.id"), objects for process, file, ...
// whose own keys may contain dots ("parent.pid"), a "labels" object and a
// "fields" object whose keys are already flattened names. A flattened name
// (event.Flatten) is therefore ambiguous as a JSON path; FieldPaths resolves
// it against the Event type so that queries touch exactly one path for the
// known fields.

type schema struct {
	leaves  map[string][]string // flattened name -> JSON path
	objects map[string]bool     // names of nested objects (process, file, ...)
	labels  string              // JSON name of the labels map
	fields  string              // JSON name of the free-form fields map
}

var eventSchema = sync.OnceValue(func() schema {
	sc := schema{leaves: map[string][]string{}, objects: map[string]bool{}}
	t := reflect.TypeOf(event.Event{})
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := jsonName(f)
		if name == "" || name == "raw" {
			continue
		}
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		switch {
		case ft.Kind() == reflect.Struct:
			if ft.PkgPath() == "time" {
				sc.leaves[name] = []string{name}
				continue
			}
			sc.objects[name] = true
			for j := 0; j < ft.NumField(); j++ {
				sub := jsonName(ft.Field(j))
				if sub != "" {
					sc.leaves[name+"."+sub] = []string{name, sub}
				}
			}
		case ft.Kind() == reflect.Map && ft.Elem().Kind() == reflect.String:
			sc.labels = name
		case ft.Kind() == reflect.Map:
			sc.fields = name
		default:
			sc.leaves[name] = []string{name}
		}
	}
	return sc
})

func jsonName(f reflect.StructField) string {
	tag := f.Tag.Get("json")
	name, _, _ := strings.Cut(tag, ",")
	if name == "-" || !f.IsExported() {
		return ""
	}
	if name == "" {
		return f.Name
	}
	return name
}

// FieldPaths returns the JSON paths in the stored document where the
// flattened field name may live. A field of the Event type itself has one
// path; labels.X lives in the labels object; any other name is looked up in
// the free-form fields object, both as one dotted key and fully nested.
func FieldPaths(name string) [][]string {
	sc := eventSchema()
	if p, ok := sc.leaves[name]; ok {
		return [][]string{p}
	}
	if sc.labels != "" {
		if rest, ok := strings.CutPrefix(name, sc.labels+"."); ok && rest != "" {
			return [][]string{{sc.labels, rest}}
		}
	}
	if sc.fields == "" || name == "" {
		return nil
	}
	paths := [][]string{{sc.fields, name}}
	if strings.Contains(name, ".") {
		paths = append(paths, append([]string{sc.fields}, strings.Split(name, ".")...))
	}
	return paths
}
