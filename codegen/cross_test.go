package codegen

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
	"github.com/tetratelabs/wazero/sys"

	"github.com/kiln-ml/kiln/internal/testenv"
	"github.com/kiln-ml/kiln/ir/tensor"
)

// crossCase is a model compiled for the cross-build tests: its package
// name, shared model, --dim binding, weights mode, further kiln compile
// flags and the ONNX Runtime reference case whose inputs it runs on.
type crossCase struct {
	pkg   string
	model string
	dims  map[string]int64
	file  bool
	flags []string
	ref   string
}

// crossCases are small (kiln compile makes their packages): mnist-8 (Conv, MatMul, pooling), paddleocr-cls
// (53 Convs, depthwise ones included, and a MatMul) and mnist-8 again
// with --weights file, so the mapped (linux/arm64) and read (wasip1)
// weights paths run too; paddleocr-cls again with the vector units and
// the default pipeline.
var crossCases = []crossCase{
	{pkg: "mnist", model: "mnist-8.onnx", ref: "mnist-8"},
	{pkg: "cls", model: "paddleocr-cls.onnx", ref: "paddleocr-cls", dims: map[string]int64{"p2o.DynamicDimension.0": 1, "p2o.DynamicDimension.1": 48, "p2o.DynamicDimension.2": 192}},
	{pkg: "mnistfile", model: "mnist-8.onnx", ref: "mnist-8", file: true},
	// The vector units after the default pipeline, whose vector
	// functions these targets replace by their stand-ins.
	{pkg: "clssimdopt", model: "paddleocr-cls.onnx", ref: "paddleocr-cls", dims: map[string]int64{"p2o.DynamicDimension.0": 1, "p2o.DynamicDimension.1": 48, "p2o.DynamicDimension.2": 192}, flags: []string{"--simd", "--passes", "default"}},
}

// crossTarget is one GOOS/GOARCH the cross module is built for.
type crossTarget struct{ goos, goarch string }

var (
	crossNative = crossTarget{"linux", "amd64"}
	crossArm64  = crossTarget{"linux", "arm64"}
	crossWasm   = crossTarget{"wasip1", "wasm"}
)

// crossModule is a Go module holding the crossCases packages and a main
// program that runs one of them, built for each target once.
type crossModule struct {
	dir  string
	once map[crossTarget]*sync.Once
	bin  map[crossTarget]string
	errs map[crossTarget]error
	took map[crossTarget]time.Duration
	mu   sync.Mutex
}

var (
	crossOnce sync.Once
	theCross  *crossModule
	crossErr  error
)

// crossMain reads {"Pkg", "Inputs", "WeightsPath"} as JSON on stdin, runs
// the package once and prints {"Outputs"} as JSON; a failure goes to
// stderr with exit code 1.
const crossMain = `package main

import (
	"encoding/json"
	"fmt"
	"os"

%s)

type input struct {
	Name  string
	Shape []int
	F32   []float32
}

type spec struct {
	Pkg         string
	Inputs      []input
	WeightsPath string
}

func run(s spec) (map[string][]float32, error) {
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
	if err := json.NewEncoder(os.Stdout).Encode(map[string]any{"Outputs": out}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
`

// crossCaseSource is one case of crossMain's switch.
const crossCaseSource = `	case %[1]q:
		m, err := %[2]s
		if err != nil {
			return nil, err
		}
		in := map[string]%[1]s.Tensor{}
		for _, x := range s.Inputs {
			in[x.Name] = %[1]s.Tensor{Shape: x.Shape, F32: x.F32}
		}
		out, err := m.NewSession().RunNamed(in)
		if err != nil {
			return nil, err
		}
		res := map[string][]float32{}
		for k, v := range out {
			res[k] = v.F32
		}
		return res, nil
`

// writeCrossModule builds the kiln command, compiles the cases with
// kiln compile and writes the module.
func writeCrossModule(t *testing.T, goBin string) (*crossModule, error) {
	dir, err := os.MkdirTemp("", "kiln-cross-test-")
	if err != nil {
		return nil, err
	}
	c := &crossModule{dir: dir, once: map[crossTarget]*sync.Once{}, bin: map[crossTarget]string{}, errs: map[crossTarget]error{}, took: map[crossTarget]time.Duration{}}
	for _, tg := range []crossTarget{crossNative, crossArm64, crossWasm} {
		c.once[tg] = new(sync.Once)
	}
	// The packages come from the kiln command, as a user makes them.
	kiln := filepath.Join(dir, "kiln")
	build := exec.Command(goBin, "build", "-o", kiln, "github.com/kiln-ml/kiln/cmd/kiln")
	build.Env = append(os.Environ(), "GOFLAGS=", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return c, fmt.Errorf("building kiln: %v\n%s", err, out)
	}
	files := map[string][]byte{"go.mod": []byte("module x\n\ngo 1.22\n")}
	var imports, cases strings.Builder
	for _, cc := range crossCases {
		args := []string{"compile", testenv.SharedONNXModel(t, cc.model), "-o", filepath.Join(dir, cc.pkg), "--package", cc.pkg}
		for _, name := range slices.Sorted(maps.Keys(cc.dims)) {
			args = append(args, "--dim", fmt.Sprintf("%s=%d", name, cc.dims[name]))
		}
		args = append(args, cc.flags...)
		load := cc.pkg + ".Load()"
		if cc.file {
			args = append(args, "--weights", string(WeightsFile))
			load = cc.pkg + ".LoadFile(s.WeightsPath)"
		}
		if out, err := exec.Command(kiln, args...).CombinedOutput(); err != nil {
			return c, fmt.Errorf("kiln %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		fmt.Fprintf(&imports, "\t%q\n", "x/"+cc.pkg)
		fmt.Fprintf(&cases, crossCaseSource, cc.pkg, load)
	}
	files["cmd/cross/main.go"] = []byte(fmt.Sprintf(crossMain, imports.String(), cases.String()))
	for name, b := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
			return c, err
		}
		if err := os.WriteFile(p, b, 0o666); err != nil {
			return c, err
		}
	}
	return c, nil
}

// crossBuild returns the cross module's main built for tg, building it
// the first time. It skips when the shared models or the Go toolchain are
// missing.
func crossBuild(t *testing.T, tg crossTarget) (*crossModule, string) {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go toolchain on PATH")
	}
	for _, cc := range crossCases {
		testenv.SharedONNXModel(t, cc.model)
	}
	crossOnce.Do(func() { theCross, crossErr = writeCrossModule(t, goBin) })
	if crossErr != nil {
		t.Fatal(crossErr)
	}
	c := theCross
	c.once[tg].Do(func() {
		bin := filepath.Join(c.dir, "cross-"+tg.goos+"-"+tg.goarch)
		cmd := exec.Command(goBin, "build", "-o", bin, "./cmd/cross")
		cmd.Dir = c.dir
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=", "GOPROXY=off", "CGO_ENABLED=0", "GOOS="+tg.goos, "GOARCH="+tg.goarch)
		start := time.Now()
		out, err := cmd.CombinedOutput()
		c.mu.Lock()
		defer c.mu.Unlock()
		c.took[tg] = time.Since(start)
		if err != nil {
			c.errs[tg] = fmt.Errorf("GOOS=%s GOARCH=%s go build: %v\n%s", tg.goos, tg.goarch, err, out)
			return
		}
		c.bin[tg] = bin
	})
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.errs[tg] != nil {
		t.Fatal(c.errs[tg])
	}
	t.Logf("GOOS=%s GOARCH=%s build of %d compiled models and main: %v", tg.goos, tg.goarch, len(crossCases), c.took[tg].Round(time.Millisecond))
	return c, c.bin[tg]
}

// crossSpec is the JSON crossMain reads for case cc, with the reference
// case's inputs and the expected outputs.
func crossSpec(t *testing.T, cc crossCase, weightsPath string) (spec []byte, want map[string][]float32) {
	t.Helper()
	rc, dir := readRefCase(t, cc.ref)
	type input struct {
		Name  string
		Shape []int
		F32   []float32
	}
	s := struct {
		Pkg         string
		Inputs      []input
		WeightsPath string
	}{Pkg: cc.pkg, WeightsPath: weightsPath}
	for _, x := range rc.Inputs {
		v, err := tensor.ReadNPYFile(filepath.Join(dir, x.File))
		if err != nil {
			t.Fatal(err)
		}
		s.Inputs = append(s.Inputs, input{Name: x.Name, Shape: v.Shape, F32: tensor.Data[float32](v)})
	}
	want = map[string][]float32{}
	for _, o := range rc.Outputs {
		v, err := tensor.ReadNPYFile(filepath.Join(dir, o.File))
		if err != nil {
			t.Fatal(err)
		}
		want[o.Name] = tensor.Data[float32](v)
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return b, want
}

// crossRunner runs the cross main built for one target on a spec and
// returns its stdout, or an error holding its stderr.
type crossRunner func(spec []byte) ([]byte, error)

// decodeCrossOutputs reads crossMain's result.
func decodeCrossOutputs(b []byte) (map[string][]float32, error) {
	var res struct{ Outputs map[string][]float32 }
	if err := json.Unmarshal(b, &res); err != nil {
		return nil, fmt.Errorf("%v in %q", err, b)
	}
	return res.Outputs, nil
}

// checkCross runs every case with run, compares each output with ONNX
// Runtime's reference and with the linux/amd64 build's output (rtol 1e-3,
// atol 1e-4, as TestCompiledModels), and checks that a corrupt weights
// file is refused by name on this target too. weightsPath maps a host
// path to the path the target sees.
func checkCross(t *testing.T, target string, run crossRunner, weightsPath func(string) string) {
	c, native := crossBuild(t, crossNative)
	runNative := func(spec []byte) ([]byte, error) { return runCommand(exec.Command(native), spec) }
	for _, cc := range crossCases {
		t.Run(cc.pkg, func(t *testing.T) {
			var hostWeights string
			if cc.file {
				hostWeights = filepath.Join(c.dir, cc.pkg, WeightsFileName)
			}
			spec, want := crossSpec(t, cc, weightsPath(hostWeights))
			start := time.Now()
			out, err := run(spec)
			took := time.Since(start)
			if err != nil {
				t.Fatalf("%s: %v", target, err)
			}
			got, err := decodeCrossOutputs(out)
			if err != nil {
				t.Fatal(err)
			}
			nativeSpec, _ := crossSpec(t, cc, hostWeights)
			nout, err := runNative(nativeSpec)
			if err != nil {
				t.Fatalf("linux/amd64: %v", err)
			}
			amd64, err := decodeCrossOutputs(nout)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("%d outputs, want %d", len(got), len(want))
			}
			for name, w := range want {
				g, ok := got[name]
				if !ok {
					t.Fatalf("no output %q", name)
				}
				d, err := compareClose(g, w, refRTol, refATol)
				if err != nil {
					t.Errorf("output %q on %s vs ONNX Runtime: %v", name, target, err)
				}
				dn, err := compareClose(g, amd64[name], refRTol, refATol)
				if err != nil {
					t.Errorf("output %q on %s vs linux/amd64: %v", name, target, err)
				}
				same := "bit-identical to"
				for i := range g {
					if i < len(amd64[name]) && math.Float32bits(g[i]) != math.Float32bits(amd64[name][i]) {
						same = "not bit-identical to"
						break
					}
				}
				t.Logf("%s: %s, output %q: max |diff| %.3g vs ONNX Runtime, %.3g vs linux/amd64 (%s it); run %v",
					target, cc.model, name, d, dn, same, took.Round(time.Millisecond))
			}
			if !cc.file {
				return
			}
			blob, err := os.ReadFile(hostWeights)
			if err != nil {
				t.Fatal(err)
			}
			blob[len(blob)/3] ^= 0x80
			bad := filepath.Join(filepath.Dir(hostWeights), "corrupt-"+strings.ReplaceAll(target, "/", "-")+".bin")
			if err := os.WriteFile(bad, blob, 0o666); err != nil {
				t.Fatal(err)
			}
			defer os.Remove(bad)
			badSpec, _ := crossSpec(t, cc, weightsPath(bad))
			if _, err := run(badSpec); err == nil || !strings.Contains(err.Error(), "sha256") || !strings.Contains(err.Error(), filepath.Base(bad)) {
				t.Errorf("%s: corrupt weights file: error %v, want a sha256 mismatch naming the file", target, err)
			}
		})
	}
}

// runCommand runs cmd with spec on stdin.
func runCommand(cmd *exec.Cmd, spec []byte) ([]byte, error) {
	cmd.Stdin = bytes.NewReader(spec)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// TestCrossArm64 builds compiled models for linux/arm64 and runs them
// under qemu-aarch64-static (Debian's qemu-user-static). Without qemu it
// skips, unless KILN_REQUIRE_QEMU=1 (make test sets it).
func TestCrossArm64(t *testing.T) {
	if testing.Short() {
		t.Skip("builds generated packages with the Go toolchain")
	}
	qemu, err := exec.LookPath("qemu-aarch64-static")
	if err != nil {
		if os.Getenv("KILN_REQUIRE_QEMU") == "1" {
			t.Fatal("KILN_REQUIRE_QEMU=1 but qemu-aarch64-static is not on PATH (Debian package qemu-user-static; make deps-test installs it)")
		}
		t.Skip("qemu-aarch64-static not on PATH (Debian package qemu-user-static); set KILN_REQUIRE_QEMU=1 to make this a failure")
	}
	_, bin := crossBuild(t, crossArm64)
	checkCross(t, "linux/arm64", func(spec []byte) ([]byte, error) {
		return runCommand(exec.Command(qemu, bin), spec)
	}, func(p string) string { return p })
}

// TestCrossWasm builds compiled models for wasip1/wasm and runs them
// under wazero, the weights file of the --weights file case read through
// a folder mounted at /w.
func TestCrossWasm(t *testing.T) {
	if testing.Short() {
		t.Skip("builds generated packages with the Go toolchain")
	}
	c, bin := crossBuild(t, crossWasm)
	wasm, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	r := wazero.NewRuntime(ctx)
	defer r.Close(ctx)
	wasi_snapshot_preview1.MustInstantiate(ctx, r)
	start := time.Now()
	mod, err := r.CompileModule(ctx, wasm)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("wazero compiled the %d-byte module in %v", len(wasm), time.Since(start).Round(time.Millisecond))
	var mu sync.Mutex
	checkCross(t, "wasip1/wasm", func(spec []byte) ([]byte, error) {
		mu.Lock()
		defer mu.Unlock()
		var stdout, stderr bytes.Buffer
		cfg := wazero.NewModuleConfig().WithName("").WithArgs("cross").
			WithStdin(bytes.NewReader(spec)).WithStdout(&stdout).WithStderr(&stderr).
			WithFSConfig(wazero.NewFSConfig().WithReadOnlyDirMount(c.dir, "/w"))
		m, err := r.InstantiateModule(ctx, mod, cfg)
		if m != nil {
			m.Close(ctx)
		}
		if err != nil {
			if e, ok := err.(*sys.ExitError); ok {
				return nil, fmt.Errorf("exit code %d: %s", e.ExitCode(), strings.TrimSpace(stderr.String()))
			}
			return nil, fmt.Errorf("%v: %s", err, strings.TrimSpace(stderr.String()))
		}
		return stdout.Bytes(), nil
	}, func(p string) string {
		if p == "" {
			return ""
		}
		rel, err := filepath.Rel(c.dir, p)
		if err != nil {
			t.Fatal(err)
		}
		return "/w/" + filepath.ToSlash(rel)
	})
}
