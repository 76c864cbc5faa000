package interp

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/tensor"
)

// hostileBudget is the allocation budget the hostile-op tests run under:
// far below any machine's memory, far above what a legitimate small model
// needs.
const hostileBudget = 64 << 20

// withBudget runs the test under a small allocation budget.
func withBudget(t *testing.T, n int64) {
	old := tensor.SetMaxBytes(n)
	t.Cleanup(func() { tensor.SetMaxBytes(old) })
}

// runHostile parses src, infers its types afresh (as an import does:
// the text's declared types may say less), verifies and runs it on
// inputs, and returns the first error with the stage that raised it:
// "build" (parsing, inference, verification) or "run". It fails the test on a panic: a
// hostile model must be refused with an error.
func runHostile(t *testing.T, src string, inputs ...Value) (stage string, err error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("panic: %v", r)
		}
	}()
	m, err := ir.Parse("hostile.kir", []byte(src), ir.ParseOptions{})
	if err != nil {
		return "build", err
	}
	for _, f := range m.Funcs {
		if err := ir.ReInfer(f.Body); err != nil {
			return "build", err
		}
	}
	if err := ir.Verify(m); err != nil {
		return "build", err
	}
	_, err = New(m, Options{Seed: 1}).Run("", inputs)
	return "run", err
}

// TestHostileOps runs one-op models whose attributes or data ask for
// impossible sizes, one per class of failure the op fuzzer found. Each must
// end in an error that names the problem, never a panic, an out-of-memory
// abort, a hang or a silently wrong (e.g. empty) result.
func TestHostileOps(t *testing.T) {
	withBudget(t, hostileBudget)
	f32 := func(shape ...int) *Tensor { return NewTensor(ir.F32, shape) }
	i64 := func(v ...int64) *Tensor { return FromSlice([]int{len(v)}, v) }
	tests := []struct {
		name   string
		src    string
		inputs []Value
		stage  string // where the error must come from
		want   []string
		budget int64 // when not 0, replaces hostileBudget
	}{
		// Attribute arithmetic that overflows int64.
		{"depthtospace blocksize squared", `func @main(%x: f32[1,4,2,2]) -> ("y": f32[?,?,?,?]) {
  %y = DepthToSpace(%x) {blocksize = 4294967296} : f32[?,?,?,?]
  return %y
}`, []Value{f32(1, 4, 2, 2)}, "build", []string{"blocksize 4294967296", "overflows"}, 0},
		{"spacetodepth channels overflow", `func @main(%x: f32[1,4611686018427387904,0,0]) -> ("y": f32[?,?,?,?]) {
  %y = SpaceToDepth(%x) {blocksize = 4} : f32[?,?,?,?]
  return %y
}`, nil, "build", []string{"overflows"}, 0},
		{"conv dilation extent", `func @main(%x: f32[1,1,5], %w: f32[1,1,3]) -> ("y": f32[?,?,?]) {
  %y = Conv(%x, %w) {dilations = [4611686018427387904]} : f32[?,?,?]
  return %y
}`, nil, "build", []string{"size arithmetic overflows"}, 0},
		{"conv pads near 2^62", `func @main(%x: f32[1,1,2,2], %w: f32[1,1,1,1]) -> ("y": f32[?,?,?,?]) {
  %y = Conv(%x, %w) {pads = [4611686018427387904, 4611686018427387904, 4611686018427387904, 4611686018427387904]} : f32[?,?,?,?]
  return %y
}`, nil, "build", []string{"size arithmetic overflows"}, 0},
		{"maxpool same_upper huge dilation and stride", `func @main(%x: f32[1,1,5]) -> ("y": f32[?,?,?]) {
  %y = MaxPool(%x) {auto_pad = "SAME_UPPER", kernel_shape = [2], dilations = [9223372036854775805], strides = [4]} : f32[?,?,?]
  return %y
}`, nil, "build", []string{"size arithmetic overflows"}, 0},
		{"convtranspose stride times input", `func @main(%x: f32[1,1,5], %w: f32[1,1,1]) -> ("y": f32[?,?,?]) {
  %y = ConvTranspose(%x, %w) {strides = [4611686018427387904]} : f32[?,?,?]
  return %y
}`, nil, "build", []string{"size arithmetic overflows"}, 0},
		// Element counts that overflow int64 although every dim fits.
		{"element count overflows", `const @s : i64[3] = [4294967296, 4294967296, 4294967296]
func @main() -> ("y": f32[?,?,?]) {
  %y = ConstantOfShape(@s) : f32[?,?,?]
  return %y
}`, nil, "build", []string{"element count overflows"}, 0},
		{"conv output count overflows", `func @main(%x: f32[1,1,2,2], %w: f32[1,1,1,1]) -> ("y": f32[?,?,?,?]) {
  %y = Conv(%x, %w) {pads = [2305843009213693952, 2305843009213693952, 2305843009213693952, 2305843009213693952]} : f32[?,?,?,?]
  return %y
}`, nil, "build", []string{"element count overflows"}, 0},
		// Outputs larger than the budget, sized statically by inference:
		// refused before the kernel runs (a Conv over 2^40 positions would
		// otherwise spin for hours).
		{"conv pads 2^40", `func @main(%x: f32[1,1,2], %w: f32[1,1,1]) -> ("y": f32[?,?,?]) {
  %y = Conv(%x, %w) {pads = [1099511627776, 1099511627776]} : f32[?,?,?] loc("wide_conv")
  return %y
}`, []Value{f32(1, 1, 2), f32(1, 1, 1)}, "run", []string{`node "wide_conv"`, "f32[1 1 2199023255554]", "8796093022216 bytes", "memory budget"}, 0},
		{"randomnormal shape", `func @main() -> ("y": f32[?,?]) {
  %y = RandomNormal() {shape = [1048576, 1048576]} : f32[?,?]
  return %y
}`, nil, "run", []string{"f32[1048576 1048576]", "4398046511104 bytes", "memory budget"}, 0},
		{"multinomial sample_size", `func @main(%x: f32[1,2]) -> ("y": i32[?,?]) {
  %y = Multinomial(%x) {sample_size = 4294967296} : i32[?,?]
  return %y
}`, []Value{f32(1, 2)}, "run", []string{"i32[1 4294967296]", "memory budget"}, 0},
		// Outputs sized from data at run time: the allocator refuses them.
		{"constantofshape from data", `func @main(%s: i64[2]) -> ("y": f32[?,?]) {
  %y = ConstantOfShape(%s) : f32[?,?] loc("fill")
  return %y
}`, []Value{i64(1<<20, 1<<10)}, "run", []string{`node "fill"`, "f32[1048576 1024]", "4294967296 bytes", "memory budget of 67108864 bytes"}, 0},
		{"expand from data", `func @main(%x: f32[1], %s: i64[2]) -> ("y": f32[?,?]) {
  %y = Expand(%x, %s) : f32[?,?]
  return %y
}`, []Value{f32(1), i64(1<<14, 1<<14)}, "run", []string{"memory budget"}, 0},
		{"tile from data", `func @main(%x: f32[2], %r: i64[1]) -> ("y": f32[?]) {
  %y = Tile(%x, %r) : f32[?]
  return %y
}`, []Value{f32(2), i64(1 << 30)}, "run", []string{"[2147483648] is too large"}, 0},
		{"hannwindow size", `func @main(%n: i64[]) -> ("y": f32[?]) {
  %y = HannWindow(%n) : f32[?]
  return %y
}`, []Value{Scalar(int64(1 << 40))}, "run", []string{"memory budget"}, 0},
		{"melweightmatrix size product overflows", `func @main(%m: i64[], %n: i64[], %r: i64[], %lo: f32[], %hi: f32[]) -> ("y": f32[?,?]) {
  %y = MelWeightMatrix(%m, %n, %r, %lo, %hi) : f32[?,?]
  return %y
}`, []Value{Scalar(int64(4)), Scalar(int64(math.MaxInt64)), Scalar(int64(16000)), Scalar(float32(0)), Scalar(float32(8000))}, "run", []string{"negative or overflowing size"}, 0},
		{"range tiny float delta", `func @main(%a: f32[], %b: f32[], %d: f32[]) -> ("y": f32[?]) {
  %y = Range(%a, %b, %d) : f32[?]
  return %y
}`, []Value{Scalar(float32(0)), Scalar(float32(1)), Scalar(float32(1e-30))}, "run", []string{"too large"}, 0},
		{"range wide int span", `func @main(%a: i64[], %b: i64[], %d: i64[]) -> ("y": i64[?]) {
  %y = Range(%a, %b, %d) : i64[?]
  return %y
}`, []Value{Scalar(int64(-1 << 62)), Scalar(int64(1 << 62)), Scalar(int64(1))}, "run", []string{"too large"}, 0},
		{"resize scales", `const @sc : f32[2] = [1048576.0, 1048576.0]
func @main(%x: f32[2,2]) -> ("y": f32[?,?]) {
  %y = Resize(%x, _, @sc) : f32[?,?]
  return %y
}`, []Value{f32(2, 2)}, "run", []string{"f32[2097152 2097152]", "memory budget"}, 0},
		// A Loop whose carried value doubles every iteration: the budget
		// stops it long before memory runs out.
		{"loop doubling concat", `const @n : i64[] = 100
func @main(%x: f32[1]) -> ("y": f32[?]) {
  %y = Loop(@n, _, %x) : f32[?] loc("grow") {
    body(%i: i64[], %c: bool[], %v: f32[?]) {
      %w = Concat(%v, %v) {axis = 0} : f32[?] loc("double")
      return %c, %w
    }
  }
  return %y
}`, []Value{f32(1)}, "run", []string{`node "double"`, "iteration 18", "f32[524288] needs 2097152 bytes", "memory budget of 1048576 bytes"}, 1 << 20},
		// A Loop of a billion iterations scanning a 1 KiB vector: refused
		// when the slices held pass the budget, not at the end.
		{"loop scan growth", `func @main(%n: i64[], %x: f32[256]) -> ("y": f32[256], "s": f32[?,256]) {
  %y, %s = Loop(%n, _, %x) : f32[256], f32[?,256] loc("scanner") {
    body(%i: i64[], %c: bool[], %v: f32[256]) {
      %w = Neg(%v) : f32[256]
      return %c, %w, %w
    }
  }
  return %y, %s
}`, []Value{Scalar(int64(1e9)), f32(256)}, "run", []string{`node "scanner"`, "iteration 1024", "scan output 0 holds 1049600 bytes", "memory budget of 1048576 bytes"}, 1 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.budget != 0 {
				withBudget(t, tt.budget)
			}
			start := time.Now()
			stage, err := runHostile(t, tt.src, tt.inputs...)
			if err == nil {
				t.Fatalf("no error")
			}
			if stage != tt.stage {
				t.Errorf("error from %s, want from %s: %v", stage, tt.stage, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			var pe *PanicError
			if errors.As(err, &pe) || strings.Contains(err.Error(), "internal error") {
				t.Errorf("a hostile input is the model's error, not an internal one: %v", err)
			}
			// Generous for a loaded machine: a refusal takes microseconds,
			// the work refused would take hours.
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("took %v: the size must be refused before any work", d)
			}
		})
	}
}

// TestHostileOperandCounts builds ops with fewer operands than their
// declaration needs, or absent ones where values are required: the checks
// that come from the op table refuse them before inference runs.
func TestHostileOperandCounts(t *testing.T) {
	m := ir.NewModule()
	f := m.NewFunc("main")
	x := f.AddInput("x", ir.TensorType(ir.F32, ir.ShapeOf(1, 1, 4, 4)))
	tests := []struct {
		name string
		op   string
		args []*ir.Value
		want string
	}{
		{"too few", "Conv", []*ir.Value{x}, "1 operands, want"},
		{"none", "Add", nil, "0 operands, want"},
		{"too many", "Relu", []*ir.Value{x, x}, "2 operands, want"},
		{"absent first", "Relu", []*ir.Value{nil}, "required operand 0 (X) is absent"},
		{"absent required after optional", "Clip", []*ir.Value{nil, nil}, "required operand 0"},
		{"absent variadic item", "Concat", []*ir.Value{x, nil}, "operand 1 (an item of variadic inputs) is absent"},
		{"absent only variadic item", "Sum", []*ir.Value{nil}, "is absent"},
		{"absent sequence item", "SequenceConstruct", []*ir.Value{nil, x}, "is absent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.Body.Build(tt.op, tt.args, nil, 1)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Build(%s) = %v, want an error containing %q", tt.op, err, tt.want)
			}
		})
	}
}

// TestSizeErrorRecovered checks that an allocation refused by the budget
// inside a kernel is reported as the op's error with node, shape and bytes,
// and that the interpreter's own MaxMemory refuses a result the kernel
// produced within the process budget.
func TestSizeErrorRecovered(t *testing.T) {
	src := `func @main(%s: i64[1]) -> ("y": f64[?]) {
  %y = ConstantOfShape(%s) {value = @v} : f64[?] loc("c")
  return %y
}
const @v : f64[1] = [1.0]
`
	m, err := ir.Parse("c.kir", []byte(src), ir.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// 1024 f64 are 8192 bytes: under a 4096-byte MaxMemory they are
	// refused after the kernel, with the budget named.
	_, err = New(m, Options{MaxMemory: 4096}).Run("", []Value{FromSlice([]int{1}, []int64{1024})})
	var se *tensor.SizeError
	if !errors.As(err, &se) || se.Bytes != 8192 || se.Limit != 4096 || !strings.Contains(err.Error(), `node "c"`) {
		t.Fatalf("got %v, want a SizeError of 8192 bytes over 4096 naming node c", err)
	}
	// 512 f64 fit.
	if _, err := New(m, Options{MaxMemory: 4096}).Run("", []Value{FromSlice([]int{1}, []int64{512})}); err != nil {
		t.Fatal(err)
	}
	withBudget(t, 4096)
	_, err = New(m, Options{}).Run("", []Value{FromSlice([]int{1}, []int64{1024})})
	if !errors.As(err, &se) || se.Bytes != 8192 || se.Limit != 4096 {
		t.Fatalf("got %v, want the allocator's SizeError", err)
	}
}
