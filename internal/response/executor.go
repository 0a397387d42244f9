package response

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"

	"github.com/medshield/medshield/internal/quarantine"
)

// Commands are the command names Execute accepts.
var Commands = []string{"kill-process", "quarantine-file", "restore-file", "delete-quarantined", "collect-file", "isolate", "unisolate"}

// ErrUnknownCommand is returned (wrapped) for a name not in Commands.
var ErrUnknownCommand = errors.New("unknown response command")

// ErrInvalidArgs is returned (wrapped) when a command's arguments do not
// match its schema.
var ErrInvalidArgs = errors.New("invalid arguments")

// ErrRefused is returned (wrapped) when a command is valid but unsafe to
// carry out (killing pid 1 or the agent, isolating without a server).
var ErrRefused = errors.New("refused")

// DefaultMaxCollect is the largest content collect-file returns by default.
const DefaultMaxCollect = 4 << 20

// Executor runs response commands. Its fields are its dependencies; the zero
// value can kill processes and collect files, nothing more.
type Executor struct {
	// Quarantine is the agent's store; nil makes the quarantine commands fail.
	Quarantine *quarantine.Store
	// Firewall isolates the host; nil means the platform default
	// (NewFirewall(nil)).
	Firewall Firewall
	// Servers are always allowed while isolated (the agent's server).
	Servers []netip.AddrPort
	// Probe checks that an allowed server is reachable (default: a TCP
	// connect with a short timeout). Isolation is rolled back when a server
	// that was reachable before is not reachable after.
	Probe func(ctx context.Context, addr netip.AddrPort) error
	// MaxCollect caps collect-file content (default DefaultMaxCollect).
	MaxCollect int64
	// Self is the agent's pid, which is never killed (default os.Getpid()).
	Self int
	Log  *slog.Logger
}

// Execute runs the command name with its JSON arguments.
func (x *Executor) Execute(ctx context.Context, name string, args json.RawMessage) (any, error) {
	var (
		res any
		err error
	)
	switch name {
	case "kill-process":
		var a KillArgs
		if err = decodeArgs(args, &a, true); err == nil {
			res, err = x.kill(ctx, a)
		}
	case "quarantine-file":
		var a QuarantineArgs
		if err = decodeArgs(args, &a, true); err == nil {
			res, err = x.quarantineFile(a)
		}
	case "restore-file":
		var a RestoreArgs
		if err = decodeArgs(args, &a, true); err == nil {
			res, err = x.restoreFile(a)
		}
	case "delete-quarantined":
		var a DeleteArgs
		if err = decodeArgs(args, &a, true); err == nil {
			res, err = x.deleteQuarantined(a)
		}
	case "collect-file":
		var a CollectArgs
		if err = decodeArgs(args, &a, true); err == nil {
			res, err = x.collect(ctx, a)
		}
	case "isolate":
		var a IsolateArgs
		if err = decodeArgs(args, &a, false); err == nil {
			res, err = x.isolate(ctx, a)
		}
	case "unisolate":
		var a UnisolateArgs
		if err = decodeArgs(args, &a, false); err == nil {
			res, err = x.unisolate(ctx)
		}
	default:
		return nil, fmt.Errorf("%w %q", ErrUnknownCommand, name)
	}
	if err != nil {
		x.logger().Warn("response command failed", "command", name, "err", err)
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	x.logger().Info("response command done", "command", name)
	return res, nil
}

func (x *Executor) logger() *slog.Logger {
	if x.Log != nil {
		return x.Log.With("component", "response")
	}
	return slog.New(slog.DiscardHandler)
}

// decodeArgs decodes exactly one JSON object into v, refusing unknown
// fields and trailing data, then validates it. required says whether empty
// arguments (absent or null) are an error.
func decodeArgs(raw json.RawMessage, v validator, required bool) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		if required {
			return fmt.Errorf("%w: missing arguments", ErrInvalidArgs)
		}
		return v.validate()
	}
	if raw[0] != '{' {
		return fmt.Errorf("%w: arguments must be a JSON object", ErrInvalidArgs)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidArgs, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w: trailing data after the arguments object", ErrInvalidArgs)
	}
	return v.validate()
}

type validator interface{ validate() error }

func invalid(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidArgs, fmt.Sprintf(format, a...))
}

// checkPath requires an absolute, clean-enough path without NUL bytes.
func checkPath(field, p string) error {
	switch {
	case p == "":
		return invalid("%s is required", field)
	case !filepath.IsAbs(p):
		return invalid("%s %q is not an absolute path", field, p)
	case bytes.IndexByte([]byte(p), 0) >= 0:
		return invalid("%s contains a NUL byte", field)
	case len(p) > 4096:
		return invalid("%s is longer than 4096 bytes", field)
	}
	return nil
}

func (x *Executor) self() int {
	if x.Self > 0 {
		return x.Self
	}
	return os.Getpid()
}
