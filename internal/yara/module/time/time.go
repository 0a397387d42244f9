// Package time is YARA's "time" module: now() returns the current Unix time
// in seconds. Only the YARA engine and module/list.go import it.
package time

import (
	gotime "time"

	"github.com/medshield/medshield/internal/yara/module"
)

// Module is the time module. Now is the clock; nil means the system clock
// (tests set a fixed one).
type Module struct {
	Now func() gotime.Time
}

// New returns the time module using the system clock.
func New() *Module { return &Module{} }

// Name implements module.Module.
func (*Module) Name() string { return "time" }

// Schema implements module.Module.
func (m *Module) Schema() *module.Type {
	return &module.Type{Kind: module.KindStruct, Fields: []module.Field{
		{Name: "now", Type: &module.Type{Kind: module.KindFunc, Funcs: []*module.Signature{
			{Args: "", Result: module.KindInteger, Impl: m.now},
		}}},
	}}
}

// Load implements module.Module.
func (*Module) Load(*module.ScanContext) (module.Value, error) {
	return module.Value{Kind: module.KindStruct, Fields: map[string]module.Value{}}, nil
}

func (m *Module) now(*module.ScanContext, *module.Value, []module.Value) module.Value {
	clock := gotime.Now
	if m.Now != nil {
		clock = m.Now
	}
	return module.Int(clock().Unix())
}
