package codegen

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/kiln-ml/kiln/frontend/onnx"
	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/tensor"
)

// suiteCase is one ONNX node test compiled into the suite binary.
type suiteCase struct {
	name, pkg string
	inputs    []*tensor.Tensor
	inNames   []string
	want      []*tensor.Tensor
	outNames  []string
}

// TestCompiledNodeSuite compiles every test of an ONNX backend node suite
// that codegen accepts (symbols bound from test_data_set_0's inputs),
// builds them all into one binary, and checks each against its expected
// outputs (rtol 1e-3, atol 1e-5). It logs how many compile and why the
// others are refused, most frequent reason first. It takes minutes, so it
// runs only when KILN_CODEGEN_SUITE names the suite's folder, e.g.
// /usr/share/libonnx-testdata/data/node.
func TestCompiledNodeSuite(t *testing.T) {
	root := os.Getenv("KILN_CODEGEN_SUITE")
	if root == "" {
		t.Skip("set KILN_CODEGEN_SUITE to an ONNX backend test folder")
	}
	models, err := filepath.Glob(filepath.Join(root, "*", "model.onnx"))
	if err != nil || len(models) == 0 {
		t.Fatalf("no tests under %s (%v)", root, err)
	}
	sort.Strings(models)
	dir := t.TempDir()
	files := map[string][]byte{"go.mod": []byte("module x\n\ngo 1.22\n")}
	var cases []suiteCase
	refused := map[string]int{}
	var imports, dispatch strings.Builder
	imported := 0
	for _, path := range models {
		c, pkgFiles, reason := compileSuiteCase(path, fmt.Sprintf("p%d", len(cases)))
		if reason == "import" {
			continue
		}
		imported++
		if reason != "" {
			refused[reason]++
			continue
		}
		for name, b := range pkgFiles {
			files[c.pkg+"/"+name] = b
		}
		fmt.Fprintf(&imports, "%q\n", "x/"+c.pkg)
		fmt.Fprintf(&dispatch, suiteDispatch, c.pkg)
		cases = append(cases, c)
	}
	files["cmd/run/main.go"] = []byte(fmt.Sprintf(suiteMain, imports.String(), dispatch.String()))
	for name, b := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o666); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(dir, "run")
	build := exec.Command("go", "build", "-o", bin, "./cmd/run")
	build.Dir = dir
	build.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=", "GOPROXY=off", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	passed := 0
	for _, c := range cases {
		if err := runSuiteCase(bin, c); err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		passed++
	}
	t.Logf("%d tests imported, %d compiled, %d match", imported, len(cases), passed)
	var reasons []string
	for r := range refused {
		reasons = append(reasons, r)
	}
	sort.Slice(reasons, func(i, j int) bool {
		if refused[reasons[i]] != refused[reasons[j]] {
			return refused[reasons[i]] > refused[reasons[j]]
		}
		return reasons[i] < reasons[j]
	})
	for _, r := range reasons {
		t.Logf("refused %3d: %s", refused[r], r)
	}
}

// compileSuiteCase imports and compiles one node test. reason is "import"
// when the model does not import, else why codegen refused it (the op type
// for a missing kernel), or "" when it compiled.
func compileSuiteCase(path, pkg string) (c suiteCase, files map[string][]byte, reason string) {
	m, err := onnx.Import(path)
	if err != nil {
		return c, nil, "import"
	}
	defer m.Close()
	f := m.Funcs[0]
	set := filepath.Join(filepath.Dir(path), "test_data_set_0")
	c = suiteCase{name: filepath.Base(filepath.Dir(path)), pkg: pkg, inNames: f.InputNames, outNames: f.OutputNames}
	read := func(prefix string, vals []*ir.Value) ([]*tensor.Tensor, bool) {
		var out []*tensor.Tensor
		for i, v := range vals {
			x, err := onnx.ReadValueFile(filepath.Join(set, fmt.Sprintf("%s_%d.pb", prefix, i)), v.Type)
			t, ok := x.(*tensor.Tensor)
			if err != nil || !ok {
				return nil, false
			}
			out = append(out, t)
		}
		return out, true
	}
	var ok1, ok2 bool
	c.inputs, ok1 = read("input", f.Body.Params)
	c.want, ok2 = read("output", f.Body.Results)
	dims := map[string]int64{}
	for i, p := range f.Body.Params {
		if ok1 && p.Type.Shape.Ranked && len(p.Type.Shape.Dims) == len(c.inputs[i].Shape) {
			for j, d := range p.Type.Shape.Dims {
				if s, isSym := d.Symbol(); isSym {
					dims[s] = int64(c.inputs[i].Shape[j])
				}
			}
		}
	}
	p, err := Compile(m, Options{Package: pkg, Dims: dims})
	if err != nil {
		lines := strings.Split(err.Error(), "\n")
		reason = lines[0]
		if len(lines) > 1 && strings.HasPrefix(reason, "codegen has no kernel") {
			reason = "no kernel: " + strings.TrimSpace(strings.SplitN(lines[1], ":", 2)[0])
		} else if i := strings.Index(reason, ": "); i > 0 && strings.Contains(reason[:i], "#") {
			reason = reason[:strings.Index(reason, " ")] + reason[i:] // drop the node name
		}
		if len(reason) > 110 {
			reason = reason[:110] + "..."
		}
		return c, nil, reason
	}
	if !ok1 || !ok2 {
		return c, nil, "test data that are not tensors"
	}
	for _, v := range append(append([]*ir.Value{}, f.Body.Params...), f.Body.Results...) {
		if v.Type.DType == ir.String {
			// This binary passes numbers only; kiln conformance --engine
			// compiled runs the string tests.
			return c, nil, "string inputs or outputs"
		}
	}
	return c, p.Files, ""
}

// suiteTensor is a tensor as the suite binary reads and writes it.
type suiteTensor struct {
	Shape []int
	F32   []float32
	I64   []int64
	F64   []float64
	I32   []int32
	Bool  []bool
}

// runSuiteCase runs one compiled test and compares its outputs.
func runSuiteCase(bin string, c suiteCase) error {
	spec := struct {
		Pkg    string
		Inputs map[string]suiteTensor
	}{Pkg: c.pkg, Inputs: map[string]suiteTensor{}}
	for i, x := range c.inputs {
		in := suiteTensor{Shape: x.Shape}
		switch x.DType {
		case ir.F32:
			in.F32 = append([]float32{}, tensor.Data[float32](x)...)
		case ir.I64:
			in.I64 = append([]int64{}, tensor.Data[int64](x)...)
		case ir.F64:
			in.F64 = append([]float64{}, tensor.Data[float64](x)...)
		case ir.I32:
			in.I32 = append([]int32{}, tensor.Data[int32](x)...)
		case ir.Bool:
			in.Bool = append([]bool{}, tensor.Data[bool](x)...)
		}
		spec.Inputs[c.inNames[i]] = in
	}
	b, err := json.Marshal(spec)
	if err != nil {
		return err
	}
	cmd := exec.Command(bin)
	cmd.Stdin = strings.NewReader(string(b))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("%v: %s", err, stderr.String())
	}
	var got map[string]suiteTensor
	if err := json.Unmarshal(out, &got); err != nil {
		return err
	}
	for i, w := range c.want {
		g := got[c.outNames[i]]
		gv, wv := suiteFloats(g), tensorFloats(w)
		if len(gv) != len(wv) || fmt.Sprint(g.Shape) != fmt.Sprint(w.Shape) {
			return fmt.Errorf("output %q: shape %v (%d elements), want %v", c.outNames[i], g.Shape, len(gv), w.Shape)
		}
		for j := range wv {
			if d := math.Abs(gv[j] - wv[j]); !(d <= 1e-5+1e-3*math.Abs(wv[j])) && !(math.IsNaN(gv[j]) && math.IsNaN(wv[j])) {
				return fmt.Errorf("output %q element %d: %v, want %v", c.outNames[i], j, gv[j], wv[j])
			}
		}
	}
	return nil
}

func suiteFloats(t suiteTensor) []float64 {
	var out []float64
	for _, x := range t.F32 {
		out = append(out, float64(x))
	}
	for _, x := range t.I64 {
		out = append(out, float64(x))
	}
	out = append(out, t.F64...)
	for _, x := range t.I32 {
		out = append(out, float64(x))
	}
	for _, x := range t.Bool {
		out = append(out, map[bool]float64{false: 0, true: 1}[x])
	}
	return out
}

func tensorFloats(t *tensor.Tensor) []float64 {
	var s suiteTensor
	switch t.DType {
	case ir.F32:
		s.F32 = tensor.Data[float32](t)
	case ir.I64:
		s.I64 = tensor.Data[int64](t)
	case ir.F64:
		s.F64 = tensor.Data[float64](t)
	case ir.I32:
		s.I32 = tensor.Data[int32](t)
	case ir.Bool:
		s.Bool = tensor.Data[bool](t)
	}
	return suiteFloats(s)
}

// suiteDispatch runs one package of the suite binary.
const suiteDispatch = `case %[1]q:
	m, err := %[1]s.Load()
	if err != nil {
		return nil, err
	}
	in := map[string]%[1]s.Tensor{}
	for k, x := range s.Inputs {
		in[k] = %[1]s.Tensor{Shape: x.Shape, F32: x.F32, I64: x.I64, F64: x.F64, I32: x.I32, Bool: x.Bool}
	}
	out, err := m.NewSession().RunNamed(in)
	if err != nil {
		return nil, err
	}
	res := map[string]tensor{}
	for k, v := range out {
		res[k] = tensor{Shape: v.Shape, F32: v.F32, I64: v.I64, F64: v.F64, I32: v.I32, Bool: v.Bool}
	}
	return res, nil
`

// suiteMain is the suite binary: a JSON spec (package, inputs) on stdin,
// the outputs as JSON on stdout.
const suiteMain = `package main

import (
	"encoding/json"
	"fmt"
	"os"

%s)

type tensor struct {
	Shape []int
	F32   []float32
	I64   []int64
	F64   []float64
	I32   []int32
	Bool  []bool
}

type spec struct {
	Pkg    string
	Inputs map[string]tensor
}

func run(s spec) (map[string]tensor, error) {
	switch s.Pkg {
%s	}
	return nil, fmt.Errorf("unknown package %%q", s.Pkg)
}

func main() {
	var s spec
	if err := json.NewDecoder(os.Stdin).Decode(&s); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out, err := run(s)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
`
