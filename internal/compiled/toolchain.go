package compiled

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
)

// ErrNoGo is wrapped by the error Build returns when the Go toolchain is
// not on PATH.
var ErrNoGo = errors.New("the Go toolchain (the go command) is not on PATH")

// noGoHelp says what to do when go is missing.
const noGoHelp = "the compiled engine builds the generated Go package with it; install Go 1.26 or later (https://go.dev/doc/install, or Debian's golang-go package) and put its bin folder on PATH, or use --engine interp"

// toolchain is the Go command and its version.
type toolchain struct {
	goCmd   string // path of the go command
	version string // "go1.26.8"
}

// findGo looks up go on PATH and asks its version.
func findGo(ctx context.Context) (*toolchain, error) {
	p, err := exec.LookPath("go")
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrNoGo, noGoHelp)
	}
	cmd := exec.CommandContext(ctx, p, "env", "GOVERSION")
	cmd.Env = buildEnv()
	out, err := cmd.Output()
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = ": " + strings.TrimSpace(string(ee.Stderr))
		}
		return nil, fmt.Errorf("%s env GOVERSION: %v%s", p, err, msg)
	}
	v := strings.TrimSpace(string(out))
	if !strings.HasPrefix(v, "go") {
		return nil, fmt.Errorf("%s reports version %q, want goN.M", p, v)
	}
	return &toolchain{goCmd: p, version: v}, nil
}

var langVersion = regexp.MustCompile(`^go(\d+\.\d+)`)

// goDirective is the go.mod language version matching the toolchain, so
// the generated code may use whatever the toolchain supports and no newer
// toolchain is ever fetched.
func (t *toolchain) goDirective() string {
	if m := langVersion.FindStringSubmatch(t.version); m != nil {
		return m[1]
	}
	return "1.22"
}

// buildEnv is the environment of go commands: the user's, with the
// settings that would make a standard-library-only build reach the
// network, pick another toolchain or read a workspace turned off.
func buildEnv() []string {
	env := os.Environ()
	return append(env,
		"GOFLAGS=-mod=mod",
		"GOWORK=off",
		"GO111MODULE=on",
		"GOTOOLCHAIN=local",
		"GOPROXY=off",
		"CGO_ENABLED=0",
	)
}

// build runs go build in dir, writing the executable to out; simd turns
// on GOEXPERIMENT=simd (the vector GEMM's AVX2 form, the language
// models' vector block kernels).
func (t *toolchain) build(ctx context.Context, dir, out string, simd bool) error {
	cmd := exec.CommandContext(ctx, t.goCmd, "build", "-trimpath", "-o", out, ".")
	cmd.Dir = dir
	cmd.Env = buildEnv()
	if simd {
		cmd.Env = append(cmd.Env, "GOEXPERIMENT=simd")
	}
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &buildError{err: err, output: stderr.String()}
	}
	return nil
}

// buildError is a failed go build with its output.
type buildError struct {
	err    error
	output string
}

// Error gives the go command's output, which names the files and lines.
func (e *buildError) Error() string {
	out := strings.TrimSpace(e.output)
	if len(out) > 4000 {
		out = out[:4000] + "\n..."
	}
	return fmt.Sprintf("go build: %v (a bug in kiln's code generator):\n%s", e.err, out)
}

// failedPackages returns the import paths of the module's packages that
// go build reported errors for ("# kilnrun/u12" lines).
func (e *buildError) failedPackages() []string {
	var pkgs []string
	for _, l := range strings.Split(e.output, "\n") {
		if p, ok := strings.CutPrefix(l, "# "); ok {
			pkgs = append(pkgs, strings.TrimSpace(p))
		}
	}
	return pkgs
}
