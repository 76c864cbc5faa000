// Command kiln is the command-line front of the kiln model compiler. It
// parses flags, calls the library and maps outcomes to exit codes: 0 ok,
// 1 failure, 2 usage, 3 internal error (a bug in kiln), 130 interrupted.
// No compiler logic lives here.
package main

import (
	"errors"
	"flag"
	"fmt"
	"github.com/kiln-ml/kiln/ir/tensor"
	"io"
	"os"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"

	"github.com/kiln-ml/kiln/internal/suggest"
	"github.com/kiln-ml/kiln/ir/interp"
)

// Exit codes. A crash must not look like a usage error: scripts tell a
// bad command line (2) from a bug in kiln (3).
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2
	exitInternal    = 3
	exitInterrupted = 130 // 128+SIGINT, as shells report a Ctrl-C
)

// exitCodesHelp is the exit code table printed by `kiln help`.
const exitCodesHelp = `exit codes:
  0    ok
  1    failure (a bad model, input or file; a failed run)
  2    usage error (unknown command or flag, wrong arguments)
  3    internal error (a bug in kiln; KILN_DEBUG=1 adds the stack trace)
  130  interrupted (Ctrl-C)`

// command is one kiln subcommand.
type command struct {
	name, usage, summary string
	run                  func(args []string, stdout, stderr io.Writer) int
	hidden               bool // internal: not listed by help, not suggested
}

var commands []command

// stdin is what commands read for "-"; tests replace it.
var stdin io.Reader = os.Stdin

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-version", "--version":
		return runVersion(nil, stdout, stderr)
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
		fmt.Fprintf(stderr, "kiln help: unknown command %q%s\n", args[1], didYouMean(args[1], commandNames()))
		return exitUsage
	}
	if c := findCommand(args[0]); c != nil {
		return runCommand(c, args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "kiln: unknown command %q%s\n", args[0], didYouMean(args[0], commandNames()))
	fmt.Fprintln(stderr, "Run 'kiln help' for the list of commands.")
	return exitUsage
}

// runCommand runs c, turning a panic (a bug in kiln) into one line naming
// the command and exit code 3. The stack goes to stderr only when
// KILN_DEBUG=1: users see what failed, not Go's internals.
func runCommand(c *command, args []string, stdout, stderr io.Writer) (code int) {
	defer func() {
		if r := recover(); r != nil {
			// An allocation over the memory budget (an input or output
			// too large for --max-memory) is the user's limit, not a bug.
			if se, ok := r.(*tensor.SizeError); ok {
				fmt.Fprintf(stderr, "kiln %s: %v\n", c.name, se)
				code = exitFailure
				return
			}
			fmt.Fprintf(stderr, "kiln %s: internal error while running %s: %v\n", c.name, commandLine(c.name, args), r)
			if debugging() {
				stderr.Write(debug.Stack())
			} else {
				fmt.Fprintln(stderr, "This is a bug in kiln; KILN_DEBUG=1 prints the stack trace.")
			}
			code = exitInternal
		}
	}()
	return c.run(args, stdout, stderr)
}

// commandLine is how an internal error names the command being run.
func commandLine(name string, args []string) string {
	q := make([]string, 0, len(args)+2)
	q = append(q, "kiln", name)
	for _, a := range args {
		if a == "" || strings.ContainsFunc(a, func(r rune) bool { return r <= ' ' || r == '"' || r == '\'' || r == '\\' || r == 0x7f }) {
			a = strconv.Quote(a)
		}
		q = append(q, a)
	}
	return "'" + strings.Join(q, " ") + "'"
}

// debugging reports whether KILN_DEBUG=1 asks for stack traces.
func debugging() bool { return os.Getenv("KILN_DEBUG") == "1" }

func commandNames() []string {
	names := make([]string, 0, len(commands))
	for _, c := range commands {
		if !c.hidden {
			names = append(names, c.name)
		}
	}
	return names
}

// didYouMean returns `; did you mean "x"?` for the candidate closest to s
// by edit distance, when it is close enough to be a likely typo, and ""
// otherwise.
func didYouMean(s string, candidates []string) string {
	if m := suggest.Closest(s, candidates); m != "" {
		return fmt.Sprintf("; did you mean %q?", m)
	}
	return ""
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
		if !c.hidden {
			fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
		}
	}
	fmt.Fprintln(w, "\nRun 'kiln help COMMAND' or 'kiln COMMAND -h' for a command's flags.")
	fmt.Fprintln(w, "\n"+exitCodesHelp)
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
// exit code, or the internal-error code when err is a kernel's recovered
// panic (its stack goes to stderr only with KILN_DEBUG=1).
func fail(stderr io.Writer, name string, err error) int {
	fmt.Fprintf(stderr, "kiln %s: %v\n", name, err)
	var stack []byte
	if pe, ok := errors.AsType[*interp.PanicError](err); ok {
		stack = pe.Stack
	} else if ie, ok := errors.AsType[*internalError](err); ok {
		stack = ie.stack
	} else {
		return exitFailure
	}
	if debugging() {
		stderr.Write(stack)
	} else {
		fmt.Fprintln(stderr, "This is a bug in kiln; KILN_DEBUG=1 prints the stack trace.")
	}
	return exitInternal
}

// internalError is a panic recovered outside a kernel (a kernel's is an
// *interp.PanicError): a bug in kiln.
type internalError struct {
	what  string // what was being done: "while running @main"
	value any
	stack []byte
}

// Error says what was being done and the panic's value.
func (e *internalError) Error() string {
	return fmt.Sprintf("internal error %s: %v", e.what, e.value)
}
