package yara

import (
	"github.com/medshield/medshield/internal/yara/module"
	"github.com/medshield/medshield/internal/yara/module/modules"
)

// testModules are the modules the tests compile against: the real list.
func testModules() []module.Module { return modules.List() }
