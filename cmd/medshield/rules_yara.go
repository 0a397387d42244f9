package main

import (
	"context"
	"fmt"
)

// checkYaraRules compiles YARA rules and prints rejected ones; it returns the
// number of rejected rules.
func checkYaraRules(ctx context.Context, e *env, paths []string) (int, error) {
	return 0, fmt.Errorf("YARA engine not available in this build yet")
}

func runRulesCompile(ctx context.Context, e *env, args []string) error {
	return fmt.Errorf("rules compile: YARA engine not available in this build yet")
}
