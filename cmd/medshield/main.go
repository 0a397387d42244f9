// Command medshield is the single medshield binary: server, agent, sensor and
// the standalone engines (scan, hunt, vuln, baseline, guard) as subcommands.
// Each subcommand lives in its own file and only parses flags and wires
// components; the logic is in internal/.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// env is what every subcommand receives: its streams and a logger.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	log    *slog.Logger
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

// exitCode lets a command choose its process exit status (for example scan:
// 0 clean, 1 detections, 2 errors) without calling os.Exit itself.
type exitCode struct {
	code int
	err  error
}

func (x *exitCode) Error() string {
	if x.err == nil {
		return fmt.Sprintf("exit status %d", x.code)
	}
	return x.err.Error()
}

func (x *exitCode) Unwrap() error { return x.err }

// errUsage marks a usage error; the flag package already printed the details.
var errUsage = errors.New("usage error")

func commands() []command {
	return []command{
		cmdUp(),
		cmdServer(),
		cmdAgent(),
		cmdToken(),
		cmdUser(),
		cmdAudit(),
		cmdVersion(),
		cmdEvtx(),
		cmdHunt(),
		cmdRules(),
		cmdScan(),
		cmdQuarantine(),
		cmdSensor(),
		cmdVuln(),
		cmdBaseline(),
		cmdGuard(),
	}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	level := slog.LevelInfo
	if os.Getenv("MEDSHIELD_DEBUG") != "" {
		level = slog.LevelDebug
	}
	e := &env{
		stdin: stdin, stdout: stdout, stderr: stderr,
		log: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})),
	}
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		if len(args) > 1 {
			args = []string{args[1], "--help"}
		} else {
			usage(stdout, cmds)
			return 0
		}
	}
	var cmd *command
	for i := range cmds {
		if cmds[i].name == args[0] {
			cmd = &cmds[i]
		}
	}
	if cmd == nil {
		fmt.Fprintf(stderr, "medshield: unknown command %q\n\n", args[0])
		usage(stderr, cmds)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := cmd.run(ctx, e, args[1:])
	var xc *exitCode
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	case errors.As(err, &xc):
		if xc.err != nil {
			fmt.Fprintf(stderr, "medshield %s: %v\n", cmd.name, xc.err)
		}
		return xc.code
	default:
		fmt.Fprintf(stderr, "medshield %s: %v\n", cmd.name, err)
		return 1
	}
}

func usage(w io.Writer, cmds []command) {
	fmt.Fprintf(w, "medshield — security platform for hospitals (endpoint, network, situational awareness)\n\n")
	fmt.Fprintf(w, "Usage: medshield <command> [flags] [args]\n\nCommands:\n")
	sorted := append([]command(nil), cmds...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].name < sorted[j].name })
	width := 0
	for _, c := range sorted {
		width = max(width, len(c.name))
	}
	for _, c := range sorted {
		fmt.Fprintf(w, "  %-*s  %s\n", width, c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun 'medshield <command> --help' for the flags of a command.\nDocumentation: docs/README.md\n")
}
