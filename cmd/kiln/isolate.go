package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/kiln-ml/kiln/frontend/onnx/onnxtest"
)

// childCommand is the hidden command kiln conformance runs each test with,
// in a child process of the same binary.
const childCommand = "conformance-test-child"

func init() {
	commands = append(commands, command{
		name:    childCommand,
		usage:   "kiln " + childCommand + " --timeout D --mem BYTES DIR",
		summary: "run one ONNX backend test under a memory limit and print its result as JSON (used by kiln conformance)",
		run:     runConformanceChild,
		hidden:  true,
	})
}

// childGrace is how long past the time limit a child may take to report
// before it is killed: the child enforces the limit itself and reports a
// timeout; the kill is for a child that cannot. (A variable for tests.)
var childGrace = 10 * time.Second

// runIsolated runs test dir in a child process limited to memLimit bytes
// and returns its result. A child that dies (out of memory, stack
// overflow, any crash) or must be killed fails the test with the reason.
func runIsolated(exe, dir string, timeout time.Duration, memLimit int64) onnxtest.Result {
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), timeout+childGrace)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, childCommand, "--timeout", timeout.String(), "--mem", strconv.FormatInt(memLimit, 10), "--", dir)
	stdout := &capped{max: 1 << 20}
	stderr := &capped{max: 64 << 10}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	r := onnxtest.TestID(dir)
	r.Time = time.Since(start)
	if err == nil {
		var got onnxtest.Result
		if jerr := json.Unmarshal(stdout.Bytes(), &got); jerr == nil && got.Outcome != "" {
			got.Suite, got.Test, got.Time = r.Suite, r.Test, r.Time
			return got
		}
	}
	r.Outcome, r.Stage = onnxtest.Failed, "crash"
	msg := stderr.String()
	switch {
	case err == nil:
		r.Reason = "the test's process exited without a result"
	case ctx.Err() != nil:
		r.Stage, r.Reason = "timeout", fmt.Sprintf("no result within %v; the test's process was killed", timeout)
	case strings.Contains(msg, "out of memory") || strings.Contains(msg, "cannot allocate memory") || strings.Contains(msg, "failed to allocate") || strings.Contains(msg, "failed to create new OS thread"):
		r.Reason = fmt.Sprintf("out of memory (over the %d MiB limit)", memLimit>>20)
	case strings.Contains(msg, "stack overflow") || strings.Contains(msg, "stack exceeds"):
		r.Reason = "stack overflow"
	default:
		r.Reason = fmt.Sprintf("the test's process crashed (%v)", err)
		if line := crashLine(msg); line != "" {
			r.Reason += ": " + line
		}
	}
	return r
}

// crashLine picks the line of a crashed Go process's stderr that says
// why: the panic or fatal error, else the first line.
func crashLine(stderr string) string {
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	for _, l := range lines {
		if strings.HasPrefix(l, "panic: ") || strings.HasPrefix(l, "fatal error: ") {
			return l
		}
	}
	return lines[0]
}

// capped is a buffer that keeps the first max bytes written to it and
// drops the rest, so a child cannot flood its parent's memory.
type capped struct {
	bytes.Buffer
	max int
}

// Write keeps what fits and reports all of p written, so the child never
// blocks or fails on a full buffer.
func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - c.Len(); room > 0 {
		c.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

var _ io.Writer = (*capped)(nil)

// runConformanceChild is the child side of runIsolated.
func runConformanceChild(args []string, stdout, stderr io.Writer) int {
	fs := newFlags(childCommand, stderr)
	timeout := fs.Duration("timeout", onnxtest.DefaultTimeout, "time limit")
	mem := fs.Int64("mem", 0, "memory limit in bytes (0: none)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 || *timeout <= 0 || *mem < 0 {
		return usageError(fs, "want --timeout D --mem BYTES DIR")
	}
	if *mem > 0 {
		// The soft limit makes the collector work harder near the limit;
		// the hard one (the address space) stops a test that keeps
		// allocating, and a smaller stack limit turns runaway recursion
		// into a crash while it still fits.
		debug.SetMemoryLimit(*mem)
		debug.SetMaxStack(int(min(*mem/4, 256<<20)))
		if err := limitAddressSpace(*mem); err != nil {
			return fail(stderr, childCommand, err)
		}
	}
	r := onnxtest.RunAll(fs.Args(), onnxtest.RunOptions{Workers: 1, Timeout: *timeout})[0]
	if err := json.NewEncoder(stdout).Encode(r); err != nil {
		return fail(stderr, childCommand, err)
	}
	return exitOK
}
