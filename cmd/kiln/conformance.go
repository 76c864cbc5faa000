package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/kiln-ml/kiln/frontend/onnx/onnxtest"
)

func init() {
	commands = append(commands, command{
		name:    "conformance",
		usage:   "kiln conformance [--json] DIR...",
		summary: "run ONNX backend test cases and report each result",
		run:     runConformance,
	})
}

func runConformance(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("conformance", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print results as JSON")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "usage: kiln conformance [--json] DIR...")
		return 2
	}
	tests, err := onnxtest.FindTests(fs.Args()...)
	if err != nil {
		fmt.Fprintln(stderr, "kiln conformance:", err)
		return 1
	}
	var results []onnxtest.Result
	var pass, fail, skip int
	for _, t := range tests {
		r := onnxtest.Run(t)
		results = append(results, r)
		switch r.Outcome {
		case onnxtest.Passed:
			pass++
		case onnxtest.Skipped:
			skip++
		default:
			fail++
		}
		if !*asJSON {
			line := fmt.Sprintf("%-7s %s/%s", r.Outcome, r.Suite, r.Test)
			if r.Reason != "" {
				line += ": " + r.Stage + ": " + r.Reason
			}
			fmt.Fprintln(stdout, line)
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", " ")
		if err := enc.Encode(results); err != nil {
			fmt.Fprintln(stderr, "kiln conformance:", err)
			return 1
		}
		return 0
	}
	fmt.Fprintf(stdout, "%d passed, %d failed, %d skipped\n", pass, fail, skip)
	return 0
}
