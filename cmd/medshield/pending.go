package main

import (
	"context"
	"fmt"
)

// pending is the placeholder for a command whose engine has not landed yet.
// It fails loudly; no command that uses it is claimed done.
func pending(name, summary string) command {
	return command{name: name, summary: summary + " (not yet available)", run: func(ctx context.Context, e *env, args []string) error {
		return fmt.Errorf("%s is not available in this build yet", name)
	}}
}
