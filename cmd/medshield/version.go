package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

// version is set at release build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

func cmdVersion() command {
	return command{name: "version", summary: "print the version", run: func(ctx context.Context, e *env, args []string) error {
		fs := newFlags(e, "version", "version", "Prints the medshield version, the Go version and the VCS revision it was built from.")
		if err := parseFlags(e, fs, args); err != nil {
			return err
		}
		rev := "unknown"
		if bi, ok := debug.ReadBuildInfo(); ok {
			for _, s := range bi.Settings {
				if s.Key == "vcs.revision" {
					rev = s.Value
				}
			}
		}
		fmt.Fprintf(e.stdout, "medshield %s (%s, %s/%s, revision %s)\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH, rev)
		return nil
	}}
}
