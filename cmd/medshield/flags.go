package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// errHelp is returned when --help was asked for; the help is already printed.
var errHelp = errors.New("help requested")

// newFlags returns a FlagSet that prints a real help text: the usage line,
// a description, and the flags with their defaults.
func newFlags(e *env, name, usageLine, description string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: medshield %s\n\n%s\n", usageLine, strings.TrimSpace(description))
		if hasFlags(fs) {
			fmt.Fprintf(w, "\nFlags:\n")
			fs.PrintDefaults()
		}
	}
	return fs
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// parseFlags parses args; --help prints to stdout and returns errHelp, and a
// bad flag returns errUsage (the flag package has printed the reason).
func parseFlags(e *env, fs *flag.FlagSet, args []string) error {
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "-h" || a == "--help" || a == "-help" {
			fs.SetOutput(e.stdout)
			fs.Usage()
			return errHelp
		}
	}
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	return nil
}

// stringList is a repeatable string flag; values may also be comma-separated.
type stringList []string

func (s *stringList) String() string { return strings.Join(*s, ",") }

func (s *stringList) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*s = append(*s, p)
		}
	}
	return nil
}

// subcommand dispatches "medshield NAME SUB ..." to one of subs.
func subcommand(e *env, name string, args []string, subs map[string]func([]string) error, help string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		w := io.Writer(e.stdout)
		if len(args) == 0 {
			w = e.stderr
		}
		fmt.Fprint(w, help)
		if len(args) == 0 {
			return errUsage
		}
		return errHelp
	}
	f, ok := subs[args[0]]
	if !ok {
		fmt.Fprintf(e.stderr, "medshield %s: unknown subcommand %q\n\n%s", name, args[0], help)
		return errUsage
	}
	return f(args[1:])
}
