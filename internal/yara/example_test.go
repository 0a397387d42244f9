package yara_test

import (
	"context"
	"fmt"

	"github.com/medshield/medshield/internal/yara"
	"github.com/medshield/medshield/internal/yara/module/modules"
)

// Compile once, scan many: the Rules value is shared by all scans.
func Example() {
	c, err := yara.NewCompiler(yara.Options{Modules: modules.List()})
	if err != nil {
		panic(err)
	}
	err = c.AddSource("demo.yar", "demo", []byte(`
rule Demo : example {
  strings:
    $a = "evil" nocase
    $b = { E8 ?? ?? ?? ?? 90 }
  condition:
    $a and #b >= 1
}`))
	if err != nil {
		fmt.Println(err)
	}
	rules, _ := c.Rules()
	res, err := rules.Scan(context.Background(), []byte("..EViL..\xe8\x01\x02\x03\x04\x90"), nil)
	if err != nil {
		panic(err)
	}
	for _, m := range res {
		fmt.Println(m.Rule.Namespace, m.Rule.Name, m.Rule.Tags)
		for _, s := range m.Strings {
			fmt.Println(" ", "$"+s.ID, s.Matches)
		}
	}
	// Output:
	// demo Demo [example]
	//   $a [{2 4}]
	//   $b [{8 6}]
}
