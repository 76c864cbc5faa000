package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/term"

	"github.com/kiln-ml/kiln/frontend/onnx/onnxtest"
)

func init() {
	commands = append(commands, command{
		name:    "conformance",
		usage:   "kiln conformance [--engine interp|compiled] [--json] [--timeout D] [--mem-limit MiB] [-j N] [-v] DIR...",
		summary: "run ONNX backend test cases, each in its own process, in the interpreter or compiled to Go, and report each result",
		run:     runConformance,
	})
}

// defaultMemLimitMiB is the memory one conformance test may use. The
// largest backend tests need well under 1 GiB in the interpreter.
const defaultMemLimitMiB = 2048

// runConformance prints one line per test in the order the tests were
// found (tests run in parallel, the report does not depend on which
// finished first) and closes with "N passed, N failed, N skipped". Each
// test runs in a child process with a memory limit and the time limit, so
// a test that exhausts memory, overflows the stack or hangs fails alone.
// Test failures are the report, not an error: the exit code is 1 only
// when the tests could not be run at all.
func runConformance(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("conformance", stderr)
	asJSON := fs.Bool("json", false, "print results as JSON")
	timeout := fs.Duration("timeout", onnxtest.DefaultTimeout, "time limit of one test")
	memMiB := fs.Int64("mem-limit", defaultMemLimitMiB, "memory limit of one test in MiB")
	maxWorkers := 4 * runtime.NumCPU()
	workers := fs.Int("j", runtime.GOMAXPROCS(0), fmt.Sprintf("tests to run at once (at most %d, 4 per CPU)", maxWorkers))
	engine := fs.String("engine", engineInterp, "run the tests in the reference interpreter (`interp`) or compiled to Go (compiled: all models built into one program)")
	verbose := fs.Bool("v", false, "report compiling and building even when stderr is not a terminal")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() == 0 {
		return usageError(fs, "no test folders given")
	}
	if *engine != engineInterp && *engine != engineCompiled {
		return usageError(fs, "--engine %s: want interp or compiled", *engine)
	}
	if *workers < 1 || *timeout <= 0 || *memMiB <= 0 {
		return usageError(fs, "-j, --timeout and --mem-limit must be positive")
	}
	if *workers > maxWorkers {
		return usageError(fs, "-j %d: at most %d (4 per CPU)", *workers, maxWorkers)
	}
	if *memMiB > 1<<30 {
		return usageError(fs, "--mem-limit %d MiB is beyond any machine", *memMiB)
	}
	tests, err := onnxtest.FindTests(fs.Args()...)
	if err != nil {
		return fail(stderr, "conformance", err)
	}
	exe, err := os.Executable()
	if err != nil {
		return fail(stderr, "conformance", fmt.Errorf("finding kiln's own binary to run tests in: %w", err))
	}
	opts := onnxtest.RunOptions{Workers: *workers, Timeout: *timeout, Run: func(dir string, timeout time.Duration) onnxtest.Result {
		return runIsolated(exe, dir, timeout, *memMiB<<20)
	}}
	if isTerminal(stderr) {
		// Someone is watching: show where the run is.
		opts.Progress = func(done, total int, r onnxtest.Result) {
			fmt.Fprintf(stderr, "\r%d/%d tests run", done, total)
			if done == total {
				fmt.Fprint(stderr, "\r\033[K")
			}
		}
	}
	start := time.Now()
	var results []onnxtest.Result
	if *engine == engineCompiled {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		results, err = conformanceCompiled(ctx, tests, *workers, *timeout, *memMiB<<20, progressTo(stderr, *verbose), opts.Progress)
		if err != nil || ctx.Err() != nil {
			// Tests stopped by Ctrl-C would read as failures: no report.
			if ctx.Err() != nil {
				fmt.Fprintln(stderr, "kiln conformance: interrupted")
				return exitInterrupted
			}
			return fail(stderr, "conformance", err)
		}
	} else {
		results = onnxtest.RunAll(tests, opts)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", " ")
		if err := enc.Encode(results); err != nil {
			return fail(stderr, "conformance", err)
		}
		return exitOK
	}
	var n onnxtest.Counts
	for _, r := range results {
		n.Add(r)
		line := fmt.Sprintf("%-7s %s/%s", r.Outcome, printable(r.Suite), printable(r.Test))
		if r.Reason != "" {
			line += ": " + r.Stage + ": " + printable(r.Reason)
		}
		fmt.Fprintln(stdout, line)
	}
	if isTerminal(stderr) || *verbose {
		fmt.Fprintf(stderr, "kiln conformance: %d tests in %.1fs on %d workers\n", len(results), time.Since(start).Seconds(), *workers)
	}
	fmt.Fprintln(stdout, n)
	return exitOK
}

// printable returns s, or s quoted Go-style when it holds control
// characters or invalid UTF-8: a folder name must not forge report lines
// or send escape sequences to a terminal.
func printable(s string) string {
	if !utf8.ValidString(s) || strings.ContainsFunc(s, unicode.IsControl) {
		return strconv.Quote(s)
	}
	return s
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
