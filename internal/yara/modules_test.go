package yara

import (
	"github.com/medshield/medshield/internal/yara/module"
	"github.com/medshield/medshield/internal/yara/module/console"
	"github.com/medshield/medshield/internal/yara/module/hash"
	ymath "github.com/medshield/medshield/internal/yara/module/math"
	"github.com/medshield/medshield/internal/yara/module/pe"
	ytime "github.com/medshield/medshield/internal/yara/module/time"
)

// testModules are the modules the tests compile against.
func testModules() []module.Module {
	return []module.Module{ymath.New(), hash.New(), ytime.New(), console.New(), pe.New()}
}
