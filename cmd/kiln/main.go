// Command kiln is the command-line front of the kiln model compiler. It
// parses flags, calls the library and maps outcomes to exit codes: 0 ok,
// 1 failure, 2 usage. No compiler logic lives here.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// command is one kiln subcommand.
type command struct {
	name, usage, summary string
	run                  func(args []string, stdout, stderr io.Writer) int
}

var commands []command

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help":
		usage(stdout)
		return exitOK
	case "help":
		if len(args) == 1 {
			usage(stdout)
			return exitOK
		}
		// "kiln help CMD" is "kiln CMD -h".
		if c := findCommand(args[1]); c != nil {
			return c.run([]string{"-h"}, stdout, stdout)
		}
		fmt.Fprintf(stderr, "kiln help: unknown command %q\n", args[1])
		return exitUsage
	}
	if c := findCommand(args[0]); c != nil {
		return c.run(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "kiln: unknown command %q\n", args[0])
	usage(stderr)
	return exitUsage
}

func findCommand(name string) *command {
	for i := range commands {
		if commands[i].name == name {
			return &commands[i]
		}
	}
	return nil
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: kiln COMMAND [ARGS]\n\ncommands:")
	cs := append([]command{}, commands...)
	sort.Slice(cs, func(i, j int) bool { return cs[i].name < cs[j].name })
	for _, c := range cs {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'kiln help COMMAND' or 'kiln COMMAND -h' for a command's flags.")
}

// newFlags returns a flag set for command c whose -h output prints c's
// usage line, summary and flags.
func newFlags(c string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(c, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		cmd := findCommand(c)
		if cmd == nil {
			return
		}
		fmt.Fprintf(fs.Output(), "usage: %s\n\n%s\n", cmd.usage, cmd.summary)
		hasFlags := false
		fs.VisitAll(func(*flag.Flag) { hasFlags = true })
		if hasFlags {
			fmt.Fprintln(fs.Output(), "\nflags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parseFlags parses args into fs. It returns ok=false with the exit code
// when the command should stop: 0 after -h, 2 for a bad flag. Flags may
// follow positional arguments ("kiln run m.onnx --out d"), as users type.
func parseFlags(fs *flag.FlagSet, args []string) (code int, ok bool) {
	var pos []string
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			return exitOK, false
		}
		if err != nil {
			return exitUsage, false
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		if args[0] == "--" {
			pos = append(pos, args[1:]...)
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	// Re-parse only the positionals so fs.Args() returns them.
	_ = fs.Parse(append([]string{"--"}, pos...))
	return exitOK, true
}

// usageError prints msg and the command's usage line to stderr and returns
// the usage exit code.
func usageError(fs *flag.FlagSet, format string, args ...any) int {
	fmt.Fprintf(fs.Output(), "kiln %s: %s\n", fs.Name(), fmt.Sprintf(format, args...))
	if c := findCommand(fs.Name()); c != nil {
		fmt.Fprintf(fs.Output(), "usage: %s\n", c.usage)
	}
	return exitUsage
}

// fail prints err prefixed by the command name and returns the failure
// exit code.
func fail(stderr io.Writer, name string, err error) int {
	fmt.Fprintf(stderr, "kiln %s: %v\n", name, err)
	return exitFailure
}
