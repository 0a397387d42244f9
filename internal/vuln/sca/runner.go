package sca

import (
	"bytes"
	"context"
	"os/exec"
	"runtime"
	"time"
)

// ShellRunner runs c: commands with the system shell (sh -c, or cmd /C on
// Windows) with a timeout. Only use it for trusted policies on the live
// host: a policy's commands run with medshield's privileges.
type ShellRunner struct {
	Timeout time.Duration
}

// Run runs one command and returns its combined output (capped at 1 MiB).
func (s ShellRunner) Run(ctx context.Context, command string) (string, error) {
	t := s.Timeout
	if t <= 0 {
		t = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, t)
	defer cancel()
	var cmd *exec.Cmd
	if runtime.GOOS == "windows" {
		cmd = exec.CommandContext(ctx, "cmd", "/C", command)
	} else {
		cmd = exec.CommandContext(ctx, "sh", "-c", command)
	}
	var out capped
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

type capped struct{ bytes.Buffer }

func (c *capped) Write(p []byte) (int, error) {
	if room := 1<<20 - c.Len(); room < len(p) {
		if room > 0 {
			c.Buffer.Write(p[:room])
		}
		return len(p), nil
	}
	return c.Buffer.Write(p)
}
