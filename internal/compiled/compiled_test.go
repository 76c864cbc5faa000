package compiled

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/kiln-ml/kiln/codegen"
	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/tensor"
)

// smallModule scales x by a constant, clamps at zero, and gathers rows of
// a table by ids: float32 and int64 inputs, one symbolic dim.
const smallModule = `sym n in [1, 8]

const @w : f32[2] = [0.5, -2.0]
const @tab : f32[3,2] = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]

func @main(%x: f32[n,2], %ids: i64[n]) -> ("y": f32[n,2], "g": f32[n,2]) {
  %m = Mul(%x, @w) : f32[n,2]
  %y = Relu(%m) : f32[n,2]
  %g = Gather(@tab, %ids) : f32[n,2]
  return %y, %g
}
`

func parse(t *testing.T, src string) *ir.Module {
	t.Helper()
	m, err := ir.Parse("small.kir", []byte(src), ir.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func needGo(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds with the Go toolchain")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go on PATH")
	}
}

func TestBuildAndRun(t *testing.T) {
	needGo(t)
	m := parse(t, smallModule)
	x := tensor.FromSlice([]int{3, 2}, []float32{1, 1, -4, 2, 6, -0.5})
	ids := tensor.FromSlice([]int{3}, []int64{2, 0, 1})
	dims, err := BindDims(m, m.Funcs[0], []*tensor.Tensor{x, ids}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if dims["n"] != 3 || len(dims) != 1 {
		t.Fatalf("dims %v, want n=3", dims)
	}
	cache := t.TempDir()
	opts := Options{CacheDir: cache, KilnVersion: "test"}
	p, err := Build(context.Background(), Unit{Module: m, Dims: dims}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if p.Cached {
		t.Error("first build reports a cached entry")
	}
	out, err := p.Run(context.Background(), "model", []*tensor.Tensor{x, ids})
	if err != nil {
		t.Fatal(err)
	}
	// y = relu(x * [0.5, -2]); g = rows 2, 0, 1 of the table.
	wantY := []float32{0.5, 0, 0, 0, 3, 1}
	wantG := []float32{5, 6, 1, 2, 3, 4}
	for i, want := range [][]float32{wantY, wantG} {
		got := tensor.Data[float32](out[i])
		if len(out[i].Shape) != 2 || out[i].Shape[0] != 3 || out[i].Shape[1] != 2 {
			t.Fatalf("output %d shape %v, want [3 2]", i, out[i].Shape)
		}
		for j := range want {
			if got[j] != want[j] {
				t.Fatalf("output %d = %v, want %v", i, got, want)
			}
		}
	}
	// The same module and binding hits the cache; another binding does not.
	p2, err := Build(context.Background(), Unit{Module: m, Dims: dims}, opts)
	if err != nil || !p2.Cached || p2.Exe != p.Exe {
		t.Fatalf("second build: cached=%v exe %q vs %q, err %v", p2 != nil && p2.Cached, p2.Exe, p.Exe, err)
	}
	p3, err := Build(context.Background(), Unit{Module: m, Dims: map[string]int64{"n": 2}}, opts)
	if err != nil || p3.Cached || p3.Exe == p.Exe {
		t.Fatalf("build for n=2 reused the n=3 entry (err %v)", err)
	}
	// The program refuses inputs of another shape with the generated
	// package's message.
	if _, err := p3.Run(context.Background(), "model", []*tensor.Tensor{x, ids}); err == nil || !strings.Contains(err.Error(), "shape") {
		t.Fatalf("n=2 program on n=3 inputs: err %v, want a shape error", err)
	}
	ents, _ := os.ReadDir(cache)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "tmp-") {
			t.Errorf("temporary folder %s left in the cache", e.Name())
		}
	}
}

// TestConcurrentBuilds builds one module from several goroutines into an
// empty cache: all get a working program, and one entry is left.
func TestConcurrentBuilds(t *testing.T) {
	needGo(t)
	m := parse(t, smallModule)
	cache := t.TempDir()
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := Build(context.Background(), Unit{Module: m, Dims: map[string]int64{"n": 1}}, Options{CacheDir: cache})
			if err == nil {
				_, err = p.Run(context.Background(), "model", []*tensor.Tensor{
					tensor.FromSlice([]int{1, 2}, []float32{1, 2}), tensor.FromSlice([]int{1}, []int64{0})})
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	ents, _ := os.ReadDir(cache)
	if len(ents) != 1 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("cache holds %v, want one entry", names)
	}
}

func TestBuildSetKeepsRefusals(t *testing.T) {
	needGo(t)
	good := parse(t, smallModule)
	bad := parse(t, `func @main(%x: f32[2]) -> ("y": f32[2]) {
  %y = Mish(%x) : f32[2]
  %z = LpNormalization(%y) : f32[2]
  return %z
}
`)
	p, errs, err := BuildSet(context.Background(), []Unit{
		{Name: "good", Module: good, Dims: map[string]int64{"n": 1}},
		{Name: "bad", Module: bad},
	}, Options{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Units(); len(got) != 1 || got[0] != "good" {
		t.Errorf("units %v, want [good]", got)
	}
	e := errs["bad"]
	if e == nil || !strings.Contains(e.Error(), "Mish") || !strings.Contains(e.Error(), "LpNormalization") {
		t.Errorf("refusal %v, want one naming Mish and LpNormalization", e)
	}
}

func TestNoGoToolchain(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	m := parse(t, smallModule)
	_, err := Build(context.Background(), Unit{Module: m, Dims: map[string]int64{"n": 1}}, Options{CacheDir: t.TempDir()})
	if !errors.Is(err, ErrNoGo) || !strings.Contains(err.Error(), "install Go") {
		t.Fatalf("err %v, want ErrNoGo saying how to install Go", err)
	}
}

func TestBindDims(t *testing.T) {
	m := parse(t, `sym b in [1, 4]
sym s in [1, 64]

func @main(%a: f32[b,s], %m: i64[b,s], %p: f32[b,2,s+1]) -> ("y": f32[b,s]) {
  return %a
}
`)
	f := m.Funcs[0]
	f32 := func(shape ...int) *tensor.Tensor { return tensor.New(ir.F32, shape) }
	i64 := func(shape ...int) *tensor.Tensor { return tensor.New(ir.I64, shape) }
	tests := []struct {
		name   string
		in     []*tensor.Tensor
		given  map[string]int64
		want   string // DimsList, or
		errHas string
	}{
		{"bound", []*tensor.Tensor{f32(2, 5), i64(2, 5), f32(2, 2, 6)}, nil, "b=2, s=5", ""},
		{"expression", []*tensor.Tensor{f32(2, 5), i64(2, 5), f32(2, 2, 7)}, nil, "", "s+1"},
		{"disagree", []*tensor.Tensor{f32(2, 5), i64(3, 5), f32(2, 2, 6)}, nil, "", `input "m": dim 0 (b) is 3, but input "a" made b 2`},
		{"static", []*tensor.Tensor{f32(2, 5), i64(2, 5), f32(2, 3, 6)}, nil, "", "dim 1 is 3, want 2"},
		{"rank", []*tensor.Tensor{f32(2, 5, 1), i64(2, 5), f32(2, 2, 6)}, nil, "", "rank 3"},
		{"dtype", []*tensor.Tensor{f32(2, 5), f32(2, 5), f32(2, 2, 6)}, nil, "", "dtype f32, the model wants i64"},
		{"given", []*tensor.Tensor{f32(2, 5), i64(2, 5), f32(2, 2, 6)}, map[string]int64{"b": 1}, "", "--dim made b 1"},
		{"bounds", []*tensor.Tensor{f32(5, 5), i64(5, 5), f32(5, 2, 6)}, nil, "", `input "a": dim 0 (b) is 5, outside b's bounds [1, 4]`},
		{"count", []*tensor.Tensor{f32(2, 5)}, nil, "", "1 inputs given, the model takes 3"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := BindDims(m, f, tc.in, tc.given)
			if tc.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errHas) {
					t.Fatalf("err %v, want one containing %q", err, tc.errHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s := DimsList(got); s != tc.want {
				t.Fatalf("dims %s, want %s", s, tc.want)
			}
		})
	}
}

func TestCacheDir(t *testing.T) {
	t.Setenv(CacheEnv, "/x/kc")
	if d, _ := CacheDir(); d != "/x/kc" {
		t.Errorf("with %s: %s", CacheEnv, d)
	}
	t.Setenv(CacheEnv, "")
	t.Setenv("XDG_CACHE_HOME", "/x/xdg")
	if d, _ := CacheDir(); d != filepath.Join("/x/xdg", "kiln") {
		t.Errorf("with XDG_CACHE_HOME: %s", d)
	}
}

// TestBuildIgnoresUserGoSettings: settings meant for the user's own
// projects (a vendor folder, a workspace, a toolchain switch) do not
// reach the build of the generated module.
func TestBuildIgnoresUserGoSettings(t *testing.T) {
	needGo(t)
	t.Setenv("GOFLAGS", "-mod=vendor")
	t.Setenv("GOWORK", filepath.Join(t.TempDir(), "go.work"))
	t.Setenv("GOTOOLCHAIN", "go1.99.0")
	m := parse(t, smallModule)
	p, err := Build(context.Background(), Unit{Module: m, Dims: map[string]int64{"n": 1}}, Options{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.Run(context.Background(), "model", []*tensor.Tensor{
		tensor.FromSlice([]int{1, 2}, []float32{2, -3}), tensor.FromSlice([]int{1}, []int64{1})})
	if err != nil {
		t.Fatal(err)
	}
	// y = relu([2*0.5, -3*-2]) = [1, 6]; g = row 1 of the table.
	if y, g := tensor.Data[float32](out[0]), tensor.Data[float32](out[1]); y[0] != 1 || y[1] != 6 || g[0] != 3 || g[1] != 4 {
		t.Errorf("y %v g %v, want [1 6] and [3 4]", y, g)
	}
}

// TestScalarsAndEmpty runs rank-0 and zero-size tensors through the
// generated main's .npy reader and writer.
func TestScalarsAndEmpty(t *testing.T) {
	needGo(t)
	m := parse(t, `const @two : f32[] = 2.0

func @main(%x: f32[], %e: f32[0,3]) -> ("y": f32[], "f": f32[0,3]) {
  %y = Mul(%x, @two) : f32[]
  %f = Neg(%e) : f32[0,3]
  return %y, %f
}
`)
	p, err := Build(context.Background(), Unit{Module: m}, Options{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.Run(context.Background(), "model", []*tensor.Tensor{tensor.Scalar(float32(1.5)), tensor.FromSlice([]int{0, 3}, []float32{})})
	if err != nil {
		t.Fatal(err)
	}
	if y := out[0]; len(y.Shape) != 0 || tensor.Data[float32](y)[0] != 3 {
		t.Errorf("y = %v %v, want the scalar 3", y.Shape, y.Data)
	}
	if f := out[1]; len(f.Shape) != 2 || f.Shape[0] != 0 || f.Shape[1] != 3 || len(tensor.Data[float32](f)) != 0 {
		t.Errorf("f = %v %v, want an empty [0 3]", f.Shape, f.Data)
	}
}

// TestBuildRange builds smallModule once for n in 1..8 and runs it at
// several sizes: one cache entry serves them all; sizes outside the range
// are refused before building, and the program refuses them too.
func TestBuildRange(t *testing.T) {
	needGo(t)
	m := parse(t, smallModule)
	cache := t.TempDir()
	opts := Options{CacheDir: cache, KilnVersion: "test"}
	ranges := map[string]codegen.DimRange{"n": {Min: 1, Max: 5}}
	var exe string
	for _, n := range []int{1, 3, 5} {
		x := tensor.New(ir.F32, []int{n, 2})
		xs := tensor.Data[float32](x)
		for i := range xs {
			xs[i] = float32(i) - 2
		}
		ids := tensor.New(ir.I64, []int{n})
		for i := range tensor.Data[int64](ids) {
			tensor.Data[int64](ids)[i] = int64(i % 3)
		}
		dims, err := BindDims(m, m.Funcs[0], []*tensor.Tensor{x, ids}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if dims, err = SplitRanges(dims, ranges); err != nil || len(dims) != 0 {
			t.Fatalf("n=%d: SplitRanges gives %v, %v; want no binding", n, dims, err)
		}
		p, err := Build(context.Background(), Unit{Module: m, Dims: dims, Ranges: ranges}, opts)
		if err != nil {
			t.Fatal(err)
		}
		if exe != "" && (p.Exe != exe || !p.Cached) {
			t.Errorf("n=%d: built again (cached %v)", n, p.Cached)
		}
		exe = p.Exe
		out, err := p.Run(context.Background(), "model", []*tensor.Tensor{x, ids})
		if err != nil {
			t.Fatal(err)
		}
		// y = relu(x * [0.5, -2]); g = rows ids of [[1,2],[3,4],[5,6]].
		y, g := tensor.Data[float32](out[0]), tensor.Data[float32](out[1])
		if len(y) != 2*n || len(g) != 2*n || out[0].Shape[0] != n {
			t.Fatalf("n=%d: outputs of %d and %d elements, shape %v", n, len(y), len(g), out[0].Shape)
		}
		for i := range y {
			w := max(xs[i]*[]float32{0.5, -2}[i%2], 0)
			gw := float32(2*(i/2%3) + i%2 + 1)
			if y[i] != w || g[i] != gw {
				t.Fatalf("n=%d: element %d: y %v g %v, want %v and %v", n, i, y[i], g[i], w, gw)
			}
		}
	}
	if _, err := SplitRanges(map[string]int64{"n": 6}, ranges); err == nil || !strings.Contains(err.Error(), "n=6, outside --dim n=1..5") {
		t.Errorf("n=6: error %v", err)
	}
	p, err := Build(context.Background(), Unit{Module: m, Ranges: ranges}, opts)
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.New(ir.F32, []int{6, 2})
	ids := tensor.New(ir.I64, []int{6})
	if _, err := p.Run(context.Background(), "model", []*tensor.Tensor{x, ids}); err == nil || !strings.Contains(err.Error(), "dim 0 (n) is 6, outside its bounds [1, 5]") {
		t.Errorf("n=6 run: error %v, want the bound named", err)
	}
}
