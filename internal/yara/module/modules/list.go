// Package modules lists medshield's YARA modules. List is the one place a
// module is registered (no init() side effects): the engine passes its
// result to the compiler (yara.Options.Modules). It lives in its own package
// because package module, which every module imports, cannot import them.
package modules

import (
	"github.com/medshield/medshield/internal/yara/module"
	"github.com/medshield/medshield/internal/yara/module/console"
	"github.com/medshield/medshield/internal/yara/module/elf"
	"github.com/medshield/medshield/internal/yara/module/hash"
	"github.com/medshield/medshield/internal/yara/module/math"
	"github.com/medshield/medshield/internal/yara/module/pe"
	"github.com/medshield/medshield/internal/yara/module/time"
)

// List returns a new instance of every module, in a fixed order.
func List() []module.Module {
	return []module.Module{
		pe.New(),
		elf.New(),
		math.New(),
		hash.New(),
		time.New(),
		console.New(),
	}
}
