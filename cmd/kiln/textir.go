package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/kiln-ml/kiln/ir"
)

func init() {
	commands = append(commands,
		command{
			name:    "dump",
			usage:   "kiln dump [-o FILE.kir] [--data-out FILE] [--inline N] MODEL.onnx|FILE.kir",
			summary: "import a model (ONNX or .kir) and print it as kiln text IR",
			run:     runDump,
		},
		command{
			name:    "fmt",
			usage:   "kiln fmt [-w] FILE.kir",
			summary: "parse, verify and reprint a .kir file (to stdout, or in place with -w)",
			run:     runFmt,
		})
}

// parseKIRFile reads, parses and verifies a text module.
func parseKIRFile(path string) (*ir.Module, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m, err := ir.Parse(path, src, ir.ParseOptions{BaseDir: filepath.Dir(path)})
	if err != nil {
		return nil, err
	}
	if err := ir.Verify(m); err != nil {
		m.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

func runDump(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("dump", stderr)
	out := fs.String("o", "", "write the text IR to `FILE` instead of stdout")
	dataOut := fs.String("data-out", "", "write large constants' bytes to `FILE` and refer to it from the IR")
	inline := fs.Int("inline", 0, "largest constant (in elements) printed inline although it lies in a file (0: 16, -1: all)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 {
		return usageError(fs, "want exactly one model")
	}
	m, err := loadModel(fs.Arg(0))
	if err != nil {
		return fail(stderr, "dump", err)
	}
	defer m.Close()
	if *dataOut != "" {
		if err := ir.WriteDataFile(m, *dataOut); err != nil {
			return fail(stderr, "dump", err)
		}
	}
	// File references are printed relative to where the text goes, so
	// that the output of `kiln dump -o dir/x.kir` parses from dir.
	opts := ir.PrintOptions{InlineLimit: *inline, BaseDir: "."}
	if *out != "" {
		opts.BaseDir = filepath.Dir(*out)
	}
	var buf bytes.Buffer
	if err := ir.Print(&buf, m, opts); err != nil {
		return fail(stderr, "dump", err)
	}
	if *out == "" {
		_, err = stdout.Write(buf.Bytes())
	} else {
		err = writeFileAtomic(*out, buf.Bytes())
	}
	if err != nil {
		return fail(stderr, "dump", err)
	}
	return exitOK
}

func runFmt(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("fmt", stderr)
	write := fs.Bool("w", false, "rewrite the file in place instead of printing it")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 || !strings.HasSuffix(fs.Arg(0), ".kir") {
		return usageError(fs, "want exactly one .kir file")
	}
	path := fs.Arg(0)
	m, err := parseKIRFile(path)
	if err != nil {
		return fail(stderr, "fmt", err)
	}
	defer m.Close()
	var buf bytes.Buffer
	if err := ir.Print(&buf, m, ir.PrintOptions{BaseDir: filepath.Dir(path)}); err != nil {
		return fail(stderr, "fmt", err)
	}
	if !*write {
		if _, err := stdout.Write(buf.Bytes()); err != nil {
			return fail(stderr, "fmt", err)
		}
		return exitOK
	}
	if err := writeFileAtomic(path, buf.Bytes()); err != nil {
		return fail(stderr, "fmt", err)
	}
	return exitOK
}

// writeFileAtomic writes b to path through a temporary file in the same
// folder, so a failed write never leaves a half-written file behind.
func writeFileAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}
