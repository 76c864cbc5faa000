package main

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/kiln-ml/kiln/golden"
	"github.com/kiln-ml/kiln/internal/safefile"
	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/passes"
)

func init() {
	commands = append(commands,
		command{
			name:    "dump",
			usage:   "kiln dump [-o FILE.kir] [--data-out FILE] [--inline N] [--target PROFILE | --passes LIST] MODEL.onnx|FILE.kir",
			summary: "import a model (ONNX or .kir) and print it as kiln text IR",
			run:     runDump,
		},
		command{
			name:    "fmt",
			usage:   "kiln fmt [-l | -d | -w] FILE.kir... | -",
			summary: "parse, verify and reprint .kir files (to stdout, in place with -w, as a list or diff with -l/-d)",
			run:     runFmt,
		})
}

// parseKIRFile reads, parses and verifies a text module.
func parseKIRFile(path string) (*ir.Module, error) {
	src, err := safefile.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseKIR(path, src, filepath.Dir(path))
}

// parseKIR parses and verifies src, resolving file() references against
// baseDir.
func parseKIR(name string, src []byte, baseDir string) (*ir.Module, error) {
	m, err := ir.Parse(name, src, ir.ParseOptions{BaseDir: baseDir})
	if err != nil {
		return nil, err
	}
	if err := ir.Verify(m); err != nil {
		m.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return m, nil
}

// moduleFiles returns the model path and every file m's constants alias:
// external data of an ONNX model, the data files of a .kir. An output must
// be none of them: writing it would destroy what is being read (and, with
// mapped constants, what is still in use).
func moduleFiles(model string, m *ir.Module) []string {
	files := []string{model}
	seen := map[string]bool{model: true}
	for _, v := range m.Consts {
		if v.Const == nil || v.Const.Source == nil || seen[v.Const.Source.Path] {
			continue
		}
		seen[v.Const.Source.Path] = true
		files = append(files, v.Const.Source.Path)
	}
	return files
}

// checkOutputs refuses outputs that are inputs or each other.
func checkOutputs(inputs []string, outputs ...string) error {
	for i, o := range outputs {
		if o == "" {
			continue
		}
		if err := safefile.Check(o, inputs...); err != nil {
			return err
		}
		for _, p := range outputs[:i] {
			if p != "" && (filepath.Clean(p) == filepath.Clean(o) || safefile.Check(o, p) != nil) {
				return fmt.Errorf("%s: given as two outputs", o)
			}
		}
	}
	return nil
}

func runDump(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("dump", stderr)
	out := fs.String("o", "", "write the text IR to `FILE` instead of stdout")
	dataOut := fs.String("data-out", "", "write large constants' bytes to `FILE` and refer to it from the IR")
	inline := fs.Int("inline", 0, "largest constant (in elements) printed inline although it lies in a file (0: 16, -1: all)")
	pf := addPipelineFlags(fs, "none")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 {
		return usageError(fs, "want exactly one model")
	}
	pipeline, err := pf.pipeline()
	if err != nil {
		return pipelineFailure(fs, stderr, "dump", err)
	}
	model := fs.Arg(0)
	m, err := loadModel(model)
	if err != nil {
		return fail(stderr, "dump", err)
	}
	defer m.Close()
	if _, err := passes.Run(m, pipeline, passes.Instrument{Verify: true, Out: stderr}); err != nil {
		return fail(stderr, "dump", err)
	}
	if err := checkOutputs(moduleFiles(model, m), *out, *dataOut); err != nil {
		return fail(stderr, "dump", err)
	}
	if *dataOut != "" {
		path := *dataOut
		if *out == "" {
			// See below: text on stdout names files by absolute paths.
			if path, err = filepath.Abs(path); err != nil {
				return fail(stderr, "dump", err)
			}
		}
		if err := ir.WriteDataFile(m, path); err != nil {
			return fail(stderr, "dump", err)
		}
	}
	if err := writeModule(m, *out, *inline, stdout); err != nil {
		return fail(stderr, "dump", err)
	}
	return exitOK
}

// writeModule prints m as text to the file out, or to stdout when out is
// "". File references are printed relative to where the text goes, so
// that the output of `kiln dump -o dir/x.kir` parses from dir; text on
// stdout may be saved anywhere, so there they are absolute.
func writeModule(m *ir.Module, out string, inline int, stdout io.Writer) error {
	opts := ir.PrintOptions{InlineLimit: inline}
	if out != "" {
		opts.BaseDir = filepath.Dir(out)
	} else if err := absSources(m); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := ir.Print(&buf, m, opts); err != nil {
		return err
	}
	if out == "" {
		_, err := stdout.Write(buf.Bytes())
		return err
	}
	return safefile.WriteFile(out, buf.Bytes())
}

// absSources makes the file paths of m's constants absolute.
func absSources(m *ir.Module) error {
	for _, v := range m.Consts {
		if v.Const == nil || v.Const.Source == nil || filepath.IsAbs(v.Const.Source.Path) {
			continue
		}
		abs, err := filepath.Abs(v.Const.Source.Path)
		if err != nil {
			return err
		}
		src := *v.Const.Source
		src.Path = abs
		v.Const.Source = &src
	}
	return nil
}

func runFmt(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("fmt", stderr)
	write := fs.Bool("w", false, "rewrite each file in place instead of printing it")
	list := fs.Bool("l", false, "list the files whose formatting differs")
	diff := fs.Bool("d", false, "print a diff (-original +formatted) for each file whose formatting differs")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() == 0 {
		return usageError(fs, "want .kir files, or - for standard input")
	}
	n := 0
	for _, b := range []bool{*write, *list, *diff} {
		if b {
			n++
		}
	}
	if n > 1 {
		return usageError(fs, "-w, -l and -d exclude each other")
	}
	for _, p := range fs.Args() {
		if p == "-" {
			if *write || fs.NArg() > 1 {
				return usageError(fs, "- (standard input) goes alone and without -w")
			}
		} else if !strings.HasSuffix(p, ".kir") {
			return usageError(fs, "%s: not a .kir file", p)
		}
	}
	code := exitOK
	for _, p := range fs.Args() {
		var src []byte
		var err error
		name, base := p, filepath.Dir(p)
		if p == "-" {
			name, base = "<stdin>", "."
			src, err = io.ReadAll(stdin)
		} else {
			src, err = safefile.ReadFile(p)
		}
		if err == nil {
			err = fmtOne(name, p, base, src, *write, *list, *diff, stdout)
		}
		if err != nil {
			code = fail(stderr, "fmt", err)
		}
	}
	return code
}

// fmtOne formats one text module: path is where -w writes it.
func fmtOne(name, path, base string, src []byte, write, list, diff bool, stdout io.Writer) error {
	m, err := parseKIR(name, src, base)
	if err != nil {
		return err
	}
	defer m.Close()
	var buf bytes.Buffer
	if err := ir.Print(&buf, m, ir.PrintOptions{BaseDir: base}); err != nil {
		return err
	}
	same := bytes.Equal(buf.Bytes(), src)
	switch {
	case list:
		if !same {
			_, err = fmt.Fprintln(stdout, name)
		}
	case diff:
		if !same {
			_, err = fmt.Fprintf(stdout, "--- %s (original)\n+++ %s (formatted)\n%s", name, name, golden.LineDiff(string(src), buf.String()))
		}
	case write:
		if !same {
			err = safefile.WriteFile(path, buf.Bytes())
		}
	default:
		_, err = stdout.Write(buf.Bytes())
	}
	return err
}
