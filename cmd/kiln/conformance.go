package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	"github.com/kiln-ml/kiln/frontend/onnx/onnxtest"
)

func init() {
	commands = append(commands, command{
		name:    "conformance",
		usage:   "kiln conformance [--json] [--timeout D] [-j N] DIR...",
		summary: "run ONNX backend test cases and report each result",
		run:     runConformance,
	})
}

// runConformance prints one line per test in the order the folders were
// given (tests run in parallel, the report does not depend on which finished
// first) and closes with "N passed, N failed, N skipped". Test failures are
// the report, not an error: the exit code is 1 only when the tests could
// not be run at all.
func runConformance(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("conformance", stderr)
	asJSON := fs.Bool("json", false, "print results as JSON")
	timeout := fs.Duration("timeout", onnxtest.DefaultTimeout, "time limit of one test")
	workers := fs.Int("j", runtime.GOMAXPROCS(0), "tests to run at once")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() == 0 {
		return usageError(fs, "no test folders given")
	}
	if *workers < 1 || *timeout <= 0 {
		return usageError(fs, "-j and --timeout must be positive")
	}
	tests, err := onnxtest.FindTests(fs.Args()...)
	if err != nil {
		return fail(stderr, "conformance", err)
	}
	opts := onnxtest.RunOptions{Workers: *workers, Timeout: *timeout}
	if isTerminal(stderr) && !isTerminal(stdout) {
		// The report goes to a file or pipe: show where the run is.
		opts.Progress = func(done, total int, r onnxtest.Result) {
			fmt.Fprintf(stderr, "\r%d/%d tests run", done, total)
			if done == total {
				fmt.Fprintln(stderr)
			}
		}
	}
	start := time.Now()
	results := onnxtest.RunAll(tests, opts)
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
		line := fmt.Sprintf("%-7s %s/%s", r.Outcome, r.Suite, r.Test)
		if r.Reason != "" {
			line += ": " + r.Stage + ": " + r.Reason
		}
		fmt.Fprintln(stdout, line)
	}
	fmt.Fprintf(stderr, "kiln conformance: %d tests in %.1fs on %d workers\n", len(results), time.Since(start).Seconds(), *workers)
	fmt.Fprintln(stdout, n)
	return exitOK
}

// isTerminal reports whether w is a character device such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
