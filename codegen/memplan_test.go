package codegen

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-ml/kiln/internal/testenv"
)

// memModels are the models whose memory plan TestMemoryPlanMeasured
// checks, with their sharedDims binding (minilm at sequence 128).
// mobilenetv2 comes twice, the second time with --weights file, for
// TestMemoryPlanMeasured's loading check.
var memModels = []struct {
	pkg, model string
	file       bool
	// fast compiles as the benchmarks do: the default pipeline and the
	// vector units (--simd), whose kernels plan scratch of their own.
	fast bool
}{
	{"mnist", "mnist-8", false, false},
	{"mobilenet", "mobilenetv2", false, false},
	{"minilm", "minilm-like-opset17", false, false},
	{"rec", "paddleocr-rec", false, false},
	{"vad", "silero-vad-v5", false, false},
	{"mobilenetfile", "mobilenetv2", true, false},
	{"mnistfast", "mnist-8", false, true},
	{"mobilenetfast", "mobilenetv2", false, true},
	{"minilmfast", "minilm-like-opset17", false, true},
	{"recfast", "paddleocr-rec", false, true},
	{"vadfast", "silero-vad-v5", false, true},
}

// memMain measures one compiled model: with the collector off, the heap
// bytes NewSession and one Run allocate (less the outputs Run returns,
// which the plan leaves out) and, on linux, the growth of the resident
// set over the same span (the pages the session actually touches). Inputs
// are ones (the Silero VADs' sample rate sr 16000, so that the branch their
// 512-sample chunk binding compiles is the one taken), built before the
// measurement.
const memMain = `package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strings"

%s)

type input struct {
	Name  string
	Shape []int
	DType string
}

type spec struct {
	Pkg         string
	Inputs      []input
	Load        bool // measure loading the weights instead
	WeightsPath string
}

// keep holds the session measured.
var keep any

type result struct {
	HeapBytes  int64
	OutBytes   int64
	TouchBytes int64
	Mallocs    uint64
}

// rss returns the VmRSS or VmHWM line of /proc/self/status in bytes, or -1.
func rss(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			var kb int64
			fmt.Sscan(rest, &kb)
			return kb * 1024
		}
	}
	return -1
}

func measure(run func() (int64, error)) (result, error) {
	debug.SetGCPercent(-1)
	runtime.GC()
	// Reset the peak resident set (Linux: clear_refs 5).
	os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	base := rss("VmRSS")
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	out, err := run()
	runtime.ReadMemStats(&b)
	r := result{HeapBytes: int64(b.TotalAlloc - a.TotalAlloc), OutBytes: out, Mallocs: b.Mallocs - a.Mallocs, TouchBytes: -1}
	if hwm := rss("VmHWM"); base >= 0 && hwm >= 0 {
		r.TouchBytes = hwm - base
	}
	return r, err
}

func main() {
	var s spec
	if err := json.NewDecoder(os.Stdin).Decode(&s); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var r result
	var err error
	switch s.Pkg {
%s	default:
		err = fmt.Errorf("unknown package %%q", s.Pkg)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	json.NewEncoder(os.Stdout).Encode(r)
}
`

// memCase is one case of memMain's switch.
const memCase = `	case %[1]q:
		if s.Load {
			r, err = measure(func() (int64, error) {
				m, err := %[2]s
				keep = m
				return 0, err
			})
			break
		}
		m, lerr := %[2]s
		if lerr != nil {
			err = lerr
			break
		}
		in := map[string]%[1]s.Tensor{}
		for _, x := range s.Inputs {
			n := 1
			for _, d := range x.Shape {
				n *= d
			}
			t := %[1]s.Tensor{Shape: x.Shape}
			if x.DType == "i64" {
				t.I64 = make([]int64, n)
				for i := range t.I64 {
					t.I64[i] = 1
					if x.Name == "sr" {
						t.I64[i] = 16000
					}
				}
			} else {
				t.F32 = make([]float32, n)
				for i := range t.F32 {
					t.F32[i] = 1
				}
			}
			in[x.Name] = t
		}
		r, err = measure(func() (int64, error) {
			// Kept in a global, as a server keeps its sessions: a session
			// that does not escape could have a small arena on the stack.
			s := m.NewSession()
			keep = s
			out, err := s.RunNamed(in)
			var n int64
			for _, t := range out {
				n += int64(4*len(t.F32) + 8*len(t.I64))
			}
			return n, err
		})
`

// TestMemoryPlanMeasured compares the manifest's predicted activation peak
// with what the compiled model uses: the heap a session and one Run
// allocate (outputs excluded) must be within 10% of it. It logs the pages
// actually touched (resident set growth) and the plan's lower bound (the
// largest set of buffers live at one call) beside them. Models codegen
// cannot compile yet are logged and skipped.
func TestMemoryPlanMeasured(t *testing.T) {
	if testing.Short() {
		t.Skip("builds generated packages with the Go toolchain")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go toolchain on PATH")
	}
	dir := t.TempDir()
	files := map[string][]byte{"go.mod": []byte("module x\n\ngo 1.22\n")}
	var imports, cases strings.Builder
	type compiled struct {
		pkg, model string
		file, fast bool
		man        *Manifest
	}
	var built []compiled
	for _, mm := range memModels {
		path := testenv.SharedONNXModel(t, mm.model+".onnx")
		w, load := WeightsEmbed, mm.pkg+".Load()"
		if mm.file {
			w, load = WeightsFile, mm.pkg+".LoadFile(s.WeightsPath)"
		}
		var p *Package
		if mm.fast {
			p, err = compileSharedFast(path, mm.pkg, w)
		} else {
			p, err = compileShared(path, mm.pkg, w)
		}
		if err != nil {
			if strings.Contains(err.Error(), "codegen has no kernel") {
				t.Logf("%s: not compiled: %v", mm.model, strings.SplitN(err.Error(), "\n", 2)[0])
				continue
			}
			t.Fatalf("%s: %v", mm.model, err)
		}
		for name, b := range p.Files {
			files[mm.pkg+"/"+name] = b
		}
		fmt.Fprintf(&imports, "\t%q\n", "x/"+mm.pkg)
		fmt.Fprintf(&cases, memCase, mm.pkg, load)
		built = append(built, compiled{mm.pkg, mm.model, mm.file, mm.fast, p.Manifest})
	}
	files["cmd/mem/main.go"] = []byte(fmt.Sprintf(memMain, imports.String(), cases.String()))
	for name, b := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o666); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(dir, "mem")
	cmd := exec.Command(goBin, "build", "-o", bin, "./cmd/mem")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=", "GOPROXY=off", "CGO_ENABLED=0", "GOEXPERIMENT=simd")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	type result struct {
		HeapBytes, OutBytes, TouchBytes int64
		Mallocs                         uint64
	}
	// run measures c: one Run, or with load, loading the weights.
	run := func(t *testing.T, c compiled, load bool) result {
		t.Helper()
		type input struct {
			Name  string
			Shape []int
			DType string
		}
		spec := struct {
			Pkg         string
			Inputs      []input
			Load        bool
			WeightsPath string
		}{Pkg: c.pkg, Load: load}
		if c.file {
			spec.WeightsPath = filepath.Join(dir, c.pkg, WeightsFileName)
		}
		for _, x := range c.man.Inputs {
			spec.Inputs = append(spec.Inputs, input{x.Name, x.Shape, x.DType})
		}
		b, err := json.Marshal(spec)
		if err != nil {
			t.Fatal(err)
		}
		out, err := runCommand(exec.Command(bin), b)
		if err != nil {
			t.Fatal(err)
		}
		var r result
		if err := json.Unmarshal(out, &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	t.Logf("| model | predicted peak | measured (heap) | deviation | touched pages | max live + scratch |")
	loadHeap := map[string]int64{}
	for _, c := range built {
		t.Run(c.pkg, func(t *testing.T) {
			r := run(t, c, false)
			mem := c.man.Memory
			measured := r.HeapBytes - r.OutBytes
			dev := float64(measured-mem.PeakBytes) / float64(mem.PeakBytes)
			touched := "n/a"
			if r.TouchBytes >= 0 {
				touched = fmt.Sprint(r.TouchBytes - r.OutBytes)
			}
			name := c.model
			if c.file {
				name += " (--weights file)"
			}
			if c.fast {
				name += " (default passes, --simd)"
			}
			t.Logf("| %s | %d | %d | %+.1f%% | %s | %d |", name, mem.PeakBytes, measured, 100*dev, touched, mem.LiveBytesMax+mem.ScratchBytes)
			t.Logf("%d allocations in NewSession and Run; outputs %d bytes", r.Mallocs, r.OutBytes)
			if dev > 0.10 || dev < -0.10 {
				t.Errorf("measured %d bytes of activation memory, predicted %d (%+.1f%%, target within 10%%)", measured, mem.PeakBytes, 100*dev)
			}
			if c.model == "mobilenetv2" {
				loadHeap[c.pkg] = run(t, c, true).HeapBytes
				t.Logf("loading %d bytes of weights allocated %d bytes of heap", c.man.Weights.Bytes, loadHeap[c.pkg])
				// Embedded weights are decoded into the heap; mapped ones
				// are used where they are.
				if c.file && loadHeap[c.pkg] > c.man.Weights.Bytes/100 {
					t.Errorf("--weights file: loading allocated %d bytes, want under 1%% of the %d-byte blob (the weights should alias the mapping)", loadHeap[c.pkg], c.man.Weights.Bytes)
				}
				if !c.file && loadHeap[c.pkg] < c.man.Weights.Bytes {
					t.Errorf("embedded: loading allocated %d bytes, less than the %d-byte blob it decodes: the measurement is off", loadHeap[c.pkg], c.man.Weights.Bytes)
				}
			}
		})
	}
}
