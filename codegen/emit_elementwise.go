package codegen

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/kiln-ml/kiln/ir"
)

// kernel is what an emitter makes of one op instance: the body of its Go
// function (parameters are slices named by params, data operands first,
// then results, each of its value's Go element type), and the facts the
// manifest records. A kernel that fails returns an error from its body
// and nil at its end.
type kernel struct {
	in      []*ir.Value
	params  []string
	nout    int
	comment string
	body    string
	shapes  string
	flops   int64
	gemm    bool // calls the packed GEMM
	fails   bool // the body may return an error
	colLen  int  // scratch elements it needs besides the GEMM's packing
	par     bool // calls parallelFor
	vec     bool // calls the vector helpers of the GEMM's micro-kernel unit (dwRow)
	epiDone bool // wrote opCtx.epi into its loops
	// heap marks a kernel whose results' shapes depend on the data: it
	// allocates them on the heap and takes a *Tensor per result
	// (emit_dynamic.go).
	heap bool
	// packed maps the index in in of a constant operand to the layout the
	// kernel reads it in from the weights blob (prepack.go).
	packed map[int]weightPack
}

// emitter writes the kernel of one op instance.
type emitter func(c *opCtx) (*kernel, error)

// emitters is codegen's kernel table, keyed by op name as the
// interpreter's is. Views (ops with the View trait) need no entry.
var emitters = map[string]emitter{}

func init() {
	for name, expr := range binaryExprs {
		emitters[name] = emitBinary(expr)
	}
	for name, stmt := range unaryStmts {
		emitters[name] = emitUnary(stmt)
	}
}

// unaryStmts are the float32 unary ops codegen writes as one statement on
// v, the element: emitUnary wraps them in a loop, and fused epilogues
// (emit_fused.go) apply them inside the producer's kernel. A statement
// reads only the op's attributes and constant operands, never c.g.
var unaryStmts = map[string]func(*opCtx) (string, error){
	"Relu":    func(*opCtx) (string, error) { return "v = max(v, 0)", nil },
	"Sigmoid": func(*opCtx) (string, error) { return "v = sigmoidf(v)", nil },
	"Tanh":    func(*opCtx) (string, error) { return "v = tanhf(v)", nil },
	"Clip":    clipStmt,
	"Sqrt":    func(*opCtx) (string, error) { return "v = float32(math.Sqrt(float64(v)))", nil },
	"Exp":     func(*opCtx) (string, error) { return "v = expf(v)", nil },
	"Erf":     func(*opCtx) (string, error) { return "v = erff(v)", nil },
	"Neg":     func(*opCtx) (string, error) { return "v = -v", nil },
	"HardSigmoid": func(c *opCtx) (string, error) {
		// ONNX: max(0, min(1, alpha*x + beta)).
		return fmt.Sprintf("v = min(max(%s*v+%s, 0), 1)", f32Lit(c.op.Float("alpha")), f32Lit(c.op.Float("beta"))), nil
	},
	"Pow": powStmt,
	"Gelu": func(c *opCtx) (string, error) {
		if c.op.Str("approximate") == "tanh" {
			// x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))).
			return "v = 0.5 * v * (1 + tanhf(0.7978846*(v+0.044715*v*v*v)))", nil
		}
		// x/2 * (1 + erf(x / sqrt 2)).
		return "v = 0.5 * v * (1 + erff(v*0.70710677))", nil
	},
}

// powStmt writes Pow with a constant scalar exponent, squares and square
// roots spelled out.
func powStmt(c *opCtx) (string, error) {
	fs, ok := ir.ConstFloats(c.op.Args[1])
	if !ok || len(fs) != 1 {
		return "", fmt.Errorf("the exponent is not a constant scalar; codegen handles Pow by a constant only")
	}
	switch e := fs[0]; e {
	case 1:
		return "", nil
	case 2:
		return "v = v * v", nil
	case 3:
		return "v = v * v * v", nil
	case 0.5:
		return "v = float32(math.Sqrt(float64(v)))", nil
	default:
		return fmt.Sprintf("v = float32(math.Pow(float64(v), %v))", e), nil
	}
}

// parallelMin mirrors kernels/parallel.go's parallelMin: an elementwise
// kernel of fewer elements runs on one goroutine.
const parallelMin = 1 << 15

// parallel reports whether an elementwise kernel over n elements splits
// over goroutines: when the package runs more than one thread and n is at
// least parallelMin, or may be (dims read at run time: parallelFor then
// decides, running fewer elements on the calling goroutine).
func (c *opCtx) parallel(n int) bool {
	return c.g.threads > 1 && (n >= parallelMin || len(c.g.ranges) > 0)
}

// opCtx gives an emitter the op and the static shapes of its values.
type opCtx struct {
	g  *graph
	op *ir.Op
	// epi, when set, is the epilogue of the fused op whose base op is
	// being emitted, for a kernel that can write it into its own loops.
	epi *epilogue
}

// shape returns the static shape of an operand or result.
func (c *opCtx) shape(v *ir.Value) ([]int, error) {
	if x, ok := c.g.vals[v]; ok {
		return x.shape, nil
	}
	if v.Type.Kind != ir.TensorKind {
		return nil, fmt.Errorf("value %s is not a tensor", v.Name)
	}
	return c.g.evalShape(v.Type.Shape)
}

// arg returns operand i's shape; it must be present.
func (c *opCtx) arg(i int) ([]int, error) {
	if i >= len(c.op.Args) || c.op.Args[i] == nil {
		return nil, fmt.Errorf("operand %d is absent", i)
	}
	return c.shape(c.op.Args[i])
}

// out returns result i's shape.
func (c *opCtx) out(i int) ([]int, error) { return c.shape(c.op.Results[i]) }

// unaryShapes returns the shapes of operand 0 and result 0, the opening of
// every one-input emitter.
func (c *opCtx) unaryShapes() (x, y []int, err error) {
	if x, err = c.arg(0); err != nil {
		return nil, nil, err
	}
	y, err = c.out(0)
	return x, y, err
}

// binaryShapes returns the shapes of operands 0 and 1 and result 0, the
// opening of every two-input emitter.
func (c *opCtx) binaryShapes() (a, b, y []int, err error) {
	if a, err = c.arg(0); err != nil {
		return nil, nil, nil, err
	}
	if b, err = c.arg(1); err != nil {
		return nil, nil, nil, err
	}
	y, err = c.out(0)
	return a, b, y, err
}

// typeText spells a shape as the IR does, for comments: f32[1,8,28,28].
func typeText(shape []int) string { return dtypeText(ir.F32, shape) }

// dtypeText spells a tensor type as the IR does: i64[1,16].
func dtypeText(d ir.DType, shape []int) string {
	parts := make([]string, len(shape))
	for i, n := range shape {
		parts[i] = strconv.Itoa(n)
	}
	return d.String() + "[" + strings.Join(parts, ",") + "]"
}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// f32Lit spells a float32 constant as Go source.
func f32Lit(f float32) string {
	switch {
	case math.IsInf(float64(f), 1):
		return "float32(math.Inf(1))"
	case math.IsInf(float64(f), -1):
		return "float32(math.Inf(-1))"
	case f != f:
		return "float32(math.NaN())"
	}
	s := strconv.FormatFloat(float64(f), 'g', -1, 32)
	if !strings.ContainsAny(s, ".eE") {
		s += ".0"
	}
	return "float32(" + s + ")"
}

// binaryExprs are the broadcasting arithmetic ops and their Go spelling.
var binaryExprs = map[string]string{
	"Add": "%s + %s",
	"Sub": "%s - %s",
	"Mul": "%s * %s",
	"Div": "%s / %s",
}

// emitBinary writes a broadcasting binary op as nested loops over the
// output with each operand's strides as constants; dims that broadcast
// alike are merged first, so a per-channel bias is two loops and equal
// shapes one.
func emitBinary(expr string) emitter {
	return func(c *opCtx) (*kernel, error) {
		as, bs, ys, err := c.binaryShapes()
		if err != nil {
			return nil, err
		}
		dims, strides := broadcastLoops(ys, as, bs)
		n := numel(ys)
		var b strings.Builder
		fmt.Fprintf(&b, "a = a[:%d]\nb = b[:%d]\ny = y[:%d]\n", numel(as), numel(bs), n)
		fails, par := false, false
		if c.op.Name == "Div" && c.op.Args[0].Type.DType.IsInt() {
			// Go panics on an integer division by zero: Run reports it.
			fails = true
			writeLoops(&b, dims, strides, func(idx []string) string {
				return "if b[" + idx[1] + "] == 0 {\nreturn fmt.Errorf(\"integer division by zero\")\n}\ny[i] = a[" + idx[0] + "] / b[" + idx[1] + "]\ni++"
			}, "i := 0\n")
		} else if len(dims) == 1 && strides[0][0] == 1 && strides[1][0] == 1 {
			loop := fmt.Sprintf("for i := range y {\ny[i] = %s\n}\n", fmt.Sprintf(expr, "a[i]", "b[i]"))
			if par = c.parallel(n); par {
				loop = fmt.Sprintf("parallelFor(%d, threads, func(lo, hi int) {\na, b, y := a[lo:hi], b[lo:hi], y[lo:hi]\n%s})\n", n, loop)
			}
			b.WriteString(loop)
		} else {
			writeLoops(&b, dims, strides, func(idx []string) string {
				return "y[i] = " + fmt.Sprintf(expr, "a["+idx[0]+"]", "b["+idx[1]+"]") + "\ni++"
			}, "i := 0\n")
		}
		shapes := fmt.Sprintf("%s, %s -> %s", typeText(as), typeText(bs), typeText(ys))
		return &kernel{
			in:      c.op.Args[:2],
			params:  []string{"a", "b", "y"},
			nout:    1,
			comment: fmt.Sprintf("y = %s: %s", fmt.Sprintf(expr, "a", "b"), shapes),
			body:    b.String(),
			shapes:  shapes,
			flops:   int64(n),
			fails:   fails,
			par:     par,
		}, nil
	}
}

// broadcastLoops returns the loop extents over out and, per operand, its
// element stride for each loop (0 where it broadcasts). Size-1 dims are
// dropped and neighbours that every operand walks contiguously merged.
func broadcastLoops(out []int, ins ...[]int) ([]int, [][]int) {
	r := len(out)
	full := make([][]int, len(ins))
	for k, s := range ins {
		st := make([]int, r)
		acc := 1
		for i := r - 1; i >= 0; i-- {
			j := i - (r - len(s))
			if j >= 0 && s[j] != 1 {
				st[i] = acc
				acc *= s[j]
			}
		}
		full[k] = st
	}
	var dims []int
	strides := make([][]int, len(ins))
	for i := 0; i < r; i++ {
		if out[i] == 1 {
			continue
		}
		if len(dims) > 0 {
			last := len(dims) - 1
			ok := true
			for k := range ins {
				if strides[k][last] != full[k][i]*out[i] {
					ok = false
				}
			}
			if ok {
				dims[last] *= out[i]
				for k := range ins {
					strides[k][last] = full[k][i]
				}
				continue
			}
		}
		dims = append(dims, out[i])
		for k := range ins {
			strides[k] = append(strides[k], full[k][i])
		}
	}
	if len(dims) == 0 {
		dims = []int{1}
		for k := range ins {
			strides[k] = []int{1}
		}
	}
	return dims, strides
}

// writeLoops writes nested loops i0, i1, ... over dims; stmt gets each
// operand's index expression.
func writeLoops(b *strings.Builder, dims []int, strides [][]int, stmt func(idx []string) string, pre string) {
	b.WriteString(pre)
	for d, n := range dims {
		fmt.Fprintf(b, "for i%d := 0; i%d < %d; i%d++ {\n", d, d, n, d)
	}
	idx := make([]string, len(strides))
	for k, st := range strides {
		var terms []string
		for d, s := range st {
			switch s {
			case 0:
			case 1:
				terms = append(terms, fmt.Sprintf("i%d", d))
			default:
				terms = append(terms, fmt.Sprintf("i%d*%d", d, s))
			}
		}
		if len(terms) == 0 {
			terms = []string{"0"}
		}
		idx[k] = strings.Join(terms, "+")
	}
	b.WriteString(stmt(idx) + "\n")
	for range dims {
		b.WriteString("}\n")
	}
}

// emitUnary writes an elementwise op as one loop; stmt rewrites v.
func emitUnary(stmt func(*opCtx) (string, error)) emitter {
	return func(c *opCtx) (*kernel, error) {
		xs, err := c.arg(0)
		if err != nil {
			return nil, err
		}
		s, err := stmt(c)
		if err != nil {
			return nil, err
		}
		n := numel(xs)
		shapes := typeText(xs)
		loop := fmt.Sprintf("for i, v := range x {\n%s\ny[i] = v\n}\n", s)
		par := c.parallel(n)
		if par {
			loop = fmt.Sprintf("parallelFor(%d, threads, func(lo, hi int) {\nx, y := x[lo:hi], y[lo:hi]\n%s})\n", n, loop)
		}
		return &kernel{
			in:      c.op.Args[:1],
			params:  []string{"x", "y"},
			nout:    1,
			comment: fmt.Sprintf("%s over %s", c.op.Name, shapes),
			body:    fmt.Sprintf("x = x[:%d]\ny = y[:%d]\n%s", n, n, loop),
			shapes:  shapes,
			flops:   int64(n),
			par:     par,
		}, nil
	}
}

// clipStmt reads Clip's bounds, which must be constants (absent: no
// bound).
func clipStmt(c *opCtx) (string, error) {
	// max and min compile to branch-free instructions: a branch per bound
	// mispredicts on data around the bound, several times slower. Like
	// the comparisons they replace, they keep NaN.
	var b strings.Builder
	for i, fn := range []string{"max", "min"} {
		if i+1 >= len(c.op.Args) || c.op.Args[i+1] == nil {
			continue
		}
		fs, ok := ir.ConstFloats(c.op.Args[i+1])
		if !ok || len(fs) != 1 {
			return "", fmt.Errorf("operand %d is not a constant scalar; codegen needs Clip's bounds at compile time", i+1)
		}
		fmt.Fprintf(&b, "v = %s(v, %s)\n", fn, f32Lit(float32(fs[0])))
	}
	return b.String(), nil
}
