package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/kiln-ml/kiln/frontend/onnx"
	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/interp"
	"github.com/kiln-ml/kiln/ir/tensor"
)

func init() {
	commands = append(commands, command{
		name:    "run",
		usage:   "kiln run MODEL|FILE.kir [--input [NAME=]FILE]... [--out DIR]",
		summary: "run a model in the reference interpreter on .npy or .pb (TensorProto) inputs",
		run:     runRun,
	})
}

// inputFlags collects repeated --input [NAME=]FILE flags.
type inputFlags []string

func (f *inputFlags) String() string     { return strings.Join(*f, ",") }
func (f *inputFlags) Set(s string) error { *f = append(*f, s); return nil }

func runRun(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("run", stderr)
	var inputs inputFlags
	fs.Var(&inputs, "input", "an input `[NAME=]FILE` (.npy or .pb); repeat for each input; without NAME inputs bind in order")
	out := fs.String("out", "", "write each output to `DIR`/<output name>.npy (sequences and optionals: .pb)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 {
		return usageError(fs, "want exactly one model")
	}
	m, err := loadModel(fs.Arg(0))
	if err != nil {
		return fail(stderr, "run", err)
	}
	defer m.Close()
	if len(m.Funcs) == 0 {
		return fail(stderr, "run", fmt.Errorf("%s: module has no function", fs.Arg(0)))
	}
	f := m.Funcs[0]
	args2, err := bindInputs(f, inputs)
	if err != nil {
		return fail(stderr, "run", err)
	}
	res, err := interp.New(m, interp.Options{}).Run(f.Name, args2)
	if err != nil {
		return fail(stderr, "run", err)
	}
	if *out != "" {
		if err := os.MkdirAll(*out, 0o755); err != nil {
			return fail(stderr, "run", err)
		}
	}
	files := outputFileNames(f.OutputNames)
	for i, v := range res {
		name := f.OutputNames[i]
		line := fmt.Sprintf("%s\t%v", name, v.Type())
		if t, ok := v.(*tensor.Tensor); ok {
			line = fmt.Sprintf("%s\t%v\t%v", name, t.DType, t.Type().Shape)
		}
		if *out != "" {
			p, err := writeOutput(filepath.Join(*out, files[i]), name, v)
			if err != nil {
				return fail(stderr, "run", fmt.Errorf("output %q: %w", name, err))
			}
			line += "\t" + p
		}
		fmt.Fprintln(stdout, line)
	}
	return exitOK
}

// loadModel imports an ONNX model, or parses a .kir text module.
func loadModel(path string) (*ir.Module, error) {
	if strings.HasSuffix(path, ".kir") {
		return parseKIRFile(path)
	}
	return onnx.Import(path)
}

// bindInputs reads the --input files and orders them as f's inputs. A
// value NAME=FILE binds by name when NAME is one of f's inputs (so paths
// holding '=' still work); other values fill the remaining inputs in order.
func bindInputs(f *ir.Func, specs []string) ([]tensor.Value, error) {
	index := map[string]int{}
	for i, n := range f.InputNames {
		index[n] = i
	}
	files := make([]string, len(f.InputNames))
	var positional []string
	for _, s := range specs {
		if k := strings.Index(s, "="); k > 0 {
			if i, ok := index[s[:k]]; ok {
				if files[i] != "" {
					return nil, fmt.Errorf("input %q given twice", s[:k])
				}
				files[i] = s[k+1:]
				continue
			}
		}
		positional = append(positional, s)
	}
	for i := range files {
		if files[i] == "" && len(positional) > 0 {
			files[i], positional = positional[0], positional[1:]
		}
	}
	if len(positional) > 0 {
		return nil, fmt.Errorf("%d input file(s) too many: the model takes %d inputs %q", len(positional), len(f.InputNames), f.InputNames)
	}
	var missing []string
	for i, p := range files {
		if p == "" {
			missing = append(missing, fmt.Sprintf("%q (%v)", f.InputNames[i], f.Body.Params[i].Type))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("missing input(s): %s", strings.Join(missing, ", "))
	}
	vals := make([]tensor.Value, len(files))
	for i, p := range files {
		v, err := readInput(p, f.Body.Params[i].Type)
		if err != nil {
			return nil, fmt.Errorf("input %q: %w", f.InputNames[i], err)
		}
		vals[i] = v
	}
	return vals, nil
}

func readInput(path string, t ir.Type) (tensor.Value, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".npy":
		return tensor.ReadNPYFile(path)
	case ".pb":
		return onnx.ReadValueFile(path, t)
	}
	return nil, fmt.Errorf("%s: want a .npy or .pb (TensorProto) file", path)
}

// outputFileNames maps output names to distinct, safe file names: anything
// but letters, digits, '.', '-' and '_' becomes '_' (ONNX names may hold
// '/' or ':'), and repeats get a numeric suffix.
func outputFileNames(names []string) []string {
	used := map[string]bool{}
	out := make([]string, len(names))
	for i, n := range names {
		base := safeFileName(n)
		name := base
		for k := 1; used[strings.ToLower(name)]; k++ {
			name = fmt.Sprintf("%s_%d", base, k)
		}
		used[strings.ToLower(name)] = true
		out[i] = name
	}
	return out
}

// writeOutput writes a tensor to base.npy, and a sequence or optional (which
// .npy cannot hold) to base.pb as an ONNX SequenceProto or OptionalProto.
func writeOutput(base, name string, v tensor.Value) (string, error) {
	if t, ok := v.(*tensor.Tensor); ok {
		return base + ".npy", tensor.WriteNPYFile(base+".npy", t)
	}
	b, err := onnx.EncodeValue(name, v)
	if err != nil {
		return "", err
	}
	return base + ".pb", os.WriteFile(base+".pb", b, 0o644)
}

func safeFileName(s string) string {
	b := []byte(s)
	for i, c := range b {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_'
		if !ok {
			b[i] = '_'
		}
	}
	s = string(b)
	if s == "" || strings.Trim(s, ".") == "" || s[0] == '.' || s[0] == '-' {
		s = "_" + s
	}
	return s
}

var _ flag.Value = (*inputFlags)(nil)
