package codegen

import (
	"fmt"
	"strings"

	"github.com/kiln-ml/kiln/ir"
)

// The element types beyond f32, i64, bool, i32 and f64 (graph.go's
// tables): the narrower and unsigned integers, stored as the Go integer of
// their width, and float16 and bfloat16, stored as their bits in a uint16.
// Go's integer arithmetic wraps as ONNX's does, so the integer kernels
// serve them unchanged; a half float's bits are not numbers Go can compute
// on, so ops on them are limited to those that move elements (halfOps)
// and Cast.
var extraTypes = []struct {
	d           ir.DType
	elem, field string
	decode      string
	arena, wvar string
}{
	{ir.U8, "uint8", "U8", "src[j]", "au8", "wu8"},
	{ir.I8, "int8", "I8", "int8(src[j])", "ai8", "wi8"},
	{ir.U16, "uint16", "U16", "binary.LittleEndian.Uint16(src[2*j:])", "au16", "wu16"},
	{ir.I16, "int16", "I16", "int16(binary.LittleEndian.Uint16(src[2*j:]))", "ai16", "wi16"},
	{ir.U32, "uint32", "U32", "binary.LittleEndian.Uint32(src[4*j:])", "au32", "wu32"},
	{ir.U64, "uint64", "U64", "binary.LittleEndian.Uint64(src[8*j:])", "au64", "wu64"},
	{ir.F16, "uint16", "F16", "binary.LittleEndian.Uint16(src[2*j:])", "af16", "wf16"},
	{ir.BF16, "uint16", "BF16", "binary.LittleEndian.Uint16(src[2*j:])", "abf16", "wbf16"},
}

func init() {
	for _, t := range extraTypes {
		goElem[t.d] = t.elem
		tensorField[t.d] = t.field
		ioTypes[t.d] = true
		arenaVar[t.d] = t.arena
		weightsVar[t.d] = t.wvar
		weightDecode[t.d] = t.decode
		storedTypes = append(storedTypes, t.d)
	}
}

// isHalf reports whether d is stored as bits in a uint16 (f16, bf16).
func isHalf(d ir.DType) bool { return d == ir.F16 || d == ir.BF16 }

// halfOps are the ops whose kernels only move, select or compare-free copy
// elements, so they run on a half float's bits unchanged.
var halfOps = map[string]bool{
	"Transpose": true, "Concat": true, "Split": true, "Slice": true, "Gather": true, "GatherElements": true,
	"Expand": true, "Where": true, "Tile": true, "DepthToSpace": true, "SpaceToDepth": true,
	"GatherND": true, "Compress": true, "ReverseSequence": true, "Trilu": true,
}

// checkHalfTypes refuses an op on half floats whose kernel would compute
// on their bits: only halfOps, Cast and CastLike take them.
func checkHalfTypes(op *ir.Op) error {
	if halfOps[op.Name] || halfComputed[op.Name] || op.Name == "Cast" || op.Name == "CastLike" {
		return nil
	}
	for _, v := range append(append([]*ir.Value{}, op.Args...), op.Results...) {
		if v != nil && v.Type.Kind == ir.TensorKind && isHalf(v.Type.DType) {
			return fmt.Errorf("%s on %s: codegen computes on half floats only by casting them (so far)", op.Name, v.Type.DType)
		}
	}
	return nil
}

// extraIOTypes returns the element types of the inputs and outputs beyond
// the five every Tensor has, in storedTypes order: each adds a field.
func (g *graph) extraIOTypes() []ir.DType {
	used := map[ir.DType]bool{}
	for _, x := range g.inputs {
		used[x.dtype] = true
	}
	for _, r := range g.f.Body.Results {
		used[r.Type.DType] = true
	}
	var out []ir.DType
	for _, t := range extraTypes {
		if used[t.d] {
			out = append(out, t.d)
		}
	}
	return out
}

// withExtraFields adds to the Tensor type and checkInput (src, their Go
// text) the fields of extraIOTypes: the package's API holds only the
// element types it passes.
func (g *graph) withExtraFields(src string) string {
	src = g.withStringField(src)
	extra := g.extraIOTypes()
	if len(extra) == 0 {
		return src
	}
	var fields, nils, cases strings.Builder
	for _, d := range extra {
		f, e := tensorField[d], goElem[d]
		what := e + " elements"
		if isHalf(d) {
			what = d.String() + " elements as their bits"
		}
		fmt.Fprintf(&fields, "\t// %s holds %s.\n\t%s []%s\n", f, what, f, e)
		fmt.Fprintf(&nils, " && t.%s == nil", f)
		fmt.Fprintf(&cases, "\tcase %q:\n\t\tn, ok = len(t.%s), t.%s != nil\n", elemName(d), f, f)
	}
	src = strings.Replace(src, "\tBool []bool\n}", "\tBool []bool\n"+fields.String()+"}", 1)
	src = strings.Replace(src, "t.Bool == nil {", "t.Bool == nil"+nils.String()+" {", 1)
	src = strings.Replace(src, "\t\tn, ok = len(t.Bool), t.Bool != nil\n", "\t\tn, ok = len(t.Bool), t.Bool != nil\n"+cases.String(), 1)
	return src
}

// elemName is the name checkInput knows an element type by: its Go type,
// or for half floats (whose Go type uint16 is also u16's) the IR's name.
func elemName(d ir.DType) string {
	if isHalf(d) {
		return d.String()
	}
	return goElem[d]
}

// emitCastHalf writes a Cast from or to a half float (half.go's
// conversions): widened to float32 exactly, then converted as emitCast
// does; rounded to the half float from float32 directly, from anything
// wider through float32 rounded to odd, so that it rounds once.
func emitCastHalf(c *opCtx, xs []int, from, to ir.DType) (*kernel, error) {
	widen := map[ir.DType]string{ir.F16: "halfToF32", ir.BF16: "bf16ToF32"}
	narrow := map[ir.DType]string{ir.F16: "f32ToHalf", ir.BF16: "f32ToBF16"}
	var src string // v as a float32 or float64 Go expression
	switch {
	case from == ir.Bool:
		src = "float32(0)\nif v {\nf = 1\n}"
	case isHalf(from):
		src = widen[from] + "(v)"
	case from == ir.F32:
		src = "v"
	default:
		src = "f32RoundOdd(float64(v))"
	}
	var conv string
	switch {
	case from == to:
		conv = "y[i] = v"
	case isHalf(to):
		conv = "y[i] = " + narrow[to] + "(f)"
	case to == ir.Bool:
		conv = "y[i] = f != 0"
	case to.IsInt() && to != ir.I64 && to != ir.U64:
		conv = fmt.Sprintf("y[i] = %s(int64(f))", goElem[to])
	default:
		conv = fmt.Sprintf("y[i] = %s(f)", goElem[to])
	}
	if from == to {
		src = "v"
	}
	n := numel(xs)
	shapes := fmt.Sprintf("%s -> %s", dtypeText(from, xs), dtypeText(to, xs))
	body := fmt.Sprintf("x = x[:%d]\ny = y[:%d]\nfor i, v := range x {\nf := %s\n%s\n}\n", n, n, src, conv)
	if from == to {
		body = fmt.Sprintf("copy(y[:%d], x[:%d])\n", n, n)
	}
	return &kernel{in: c.op.Args[:1], params: []string{"x", "y"}, nout: 1, comment: "Cast " + shapes, body: body, shapes: shapes}, nil
}
