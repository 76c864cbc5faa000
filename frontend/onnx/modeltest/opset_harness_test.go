package modeltest

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/kiln-ml/kiln/frontend/onnx"
	"github.com/kiln-ml/kiln/frontend/onnx/onnxpb"
	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/interp"
	"github.com/kiln-ml/kiln/ir/tensor"
)

// The op harness builds small ONNX models in Go (one node, or a few), runs
// each in ONNX Runtime and in kiln's interpreter on the same random inputs,
// and compares the outputs. It covers the op versions the ONNX 1.12 backend
// suite predates (opsets 18 and up), where ONNX Runtime is the only
// reference at hand.

// Tolerances of the op harness: those of ONNX's backend runner.
const (
	opRTol = 1e-3
	opATol = 1e-7
)

// opIn is one input of a harness node: fed at run time (a graph input) or
// stored in the model (an initializer), or absent (an empty name).
type opIn struct {
	t      *interp.Tensor
	init   bool // an initializer rather than a graph input
	absent bool
}

// feed is a graph input holding t; ini is an initializer holding t; none is
// an absent optional input.
func feed(t *interp.Tensor) opIn { return opIn{t: t} }
func ini(t *interp.Tensor) opIn  { return opIn{t: t, init: true} }

var none = opIn{absent: true}

// opCase is one harness row: a node of op at opset with attributes and
// inputs, and the element types of its outputs (outs; one entry per
// output). Rows are generated from a seed derived from the name, so a
// failing row reproduces alone.
type opCase struct {
	name  string
	opset int64
	op    string
	attrs []*onnxpb.AttributeProto
	in    func(r *rand.Rand) []opIn
	outs  []ir.DType
	// rtol and atol override the harness tolerances; why must say why.
	rtol, atol float64
	why        string
	// domain, when set, is the node's domain (imported at version 1).
	domain string
	// absentOuts are output positions left unnamed (optional outputs not
	// requested); outs still has an entry for each.
	absentOuts []int
}

// rowRand is the fixed-seed source of a row's inputs.
func rowRand(name string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(name))
	return rand.New(rand.NewPCG(h.Sum64(), 0x6b696c6e))
}

// dims converts a shape to ONNX's int64 dims.
func dims64(shape []int) []int64 {
	d := make([]int64, len(shape))
	for i, v := range shape {
		d[i] = int64(v)
	}
	return d
}

// tensorProto encodes t as a TensorProto named name.
func tensorProto(name string, t *interp.Tensor) (*onnxpb.TensorProto, error) {
	tp := &onnxpb.TensorProto{Name: proto.String(name), DataType: proto.Int32(onnx.ONNXDType(t.DType)), Dims: dims64(t.Shape)}
	if t.DType == ir.String {
		for _, s := range interp.Data[string](t) {
			tp.StringData = append(tp.StringData, []byte(s))
		}
		return tp, nil
	}
	raw, err := tensor.EncodeBytes(t)
	if err != nil {
		return nil, err
	}
	tp.RawData = raw
	return tp, nil
}

// valueInfo declares a tensor of element type d; shape nil leaves the
// shape out (outputs: both runtimes infer it).
func valueInfo(name string, d ir.DType, shape []int) *onnxpb.ValueInfoProto {
	tt := &onnxpb.TypeProto_Tensor{ElemType: proto.Int32(onnx.ONNXDType(d))}
	if shape != nil {
		sh := &onnxpb.TensorShapeProto{}
		for _, v := range shape {
			sh.Dim = append(sh.Dim, &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: int64(v)}})
		}
		tt.Shape = sh
	}
	return &onnxpb.ValueInfoProto{Name: proto.String(name), Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: tt}}}
}

// irVersionFor is the lowest IR version ONNX pairs with a default-domain
// opset (ONNX's versioning table): checkers refuse older IR versions.
func irVersionFor(opset int64) int64 {
	switch {
	case opset >= 23:
		return 11
	case opset >= 21:
		return 10
	case opset >= 19:
		return 9
	default:
		return 8
	}
}

// build makes the row's model and the feeds of its graph inputs.
func (c opCase) build(ins []opIn) (*onnxpb.ModelProto, map[string]*interp.Tensor, []string, error) {
	g := &onnxpb.GraphProto{Name: proto.String(strings.ReplaceAll(c.name, " ", "_"))}
	feeds := map[string]*interp.Tensor{}
	var names []string
	for i, in := range ins {
		if in.absent {
			names = append(names, "")
			continue
		}
		name := fmt.Sprintf("in%d", i)
		names = append(names, name)
		if in.init {
			tp, err := tensorProto(name, in.t)
			if err != nil {
				return nil, nil, nil, err
			}
			g.Initializer = append(g.Initializer, tp)
			continue
		}
		g.Input = append(g.Input, valueInfo(name, in.t.DType, in.t.Shape))
		feeds[name] = in.t
	}
	// Trailing absent inputs are left out, as exporters write them
	// (ONNX Runtime 1.30's DFT-20 crashes on an empty trailing name).
	for len(names) > 0 && names[len(names)-1] == "" {
		names = names[:len(names)-1]
	}
	var outs []string
	var nodeOuts []string
	for i, d := range c.outs {
		if slices.Contains(c.absentOuts, i) {
			nodeOuts = append(nodeOuts, "")
			continue
		}
		name := fmt.Sprintf("out%d", i)
		outs = append(outs, name)
		nodeOuts = append(nodeOuts, name)
		g.Output = append(g.Output, valueInfo(name, d, nil))
	}
	n := &onnxpb.NodeProto{Name: proto.String("n"), OpType: proto.String(c.op), Input: names, Output: nodeOuts, Attribute: c.attrs}
	imports := []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(c.opset)}}
	if c.domain != "" {
		n.Domain = proto.String(c.domain)
		imports = append(imports, &onnxpb.OperatorSetIdProto{Domain: proto.String(c.domain), Version: proto.Int64(1)})
	}
	g.Node = []*onnxpb.NodeProto{n}
	mp := &onnxpb.ModelProto{IrVersion: proto.Int64(irVersionFor(c.opset)), ProducerName: proto.String("kiln op harness"),
		Graph: g, OpsetImport: imports}
	return mp, feeds, outs, nil
}

// runOpCases runs every row in ONNX Runtime and kiln and compares.
func runOpCases(t *testing.T, cases []opCase) {
	t.Helper()
	ortAvailable(t)
	seen := map[string]bool{}
	for _, c := range cases {
		if seen[c.name] {
			t.Fatalf("two rows named %q", c.name)
		}
		seen[c.name] = true
		t.Run(c.name, func(t *testing.T) { runOpCase(t, c) })
	}
}

func runOpCase(t *testing.T, c opCase) {
	if (c.rtol != 0 || c.atol != 0) && c.why == "" {
		t.Fatal("a row with its own tolerance must say why")
	}
	rtol, atol := opRTol, opATol
	if c.rtol != 0 {
		rtol = c.rtol
	}
	if c.atol != 0 {
		atol = c.atol
	}
	mp, feeds, outs, err := c.build(c.in(rowRand(c.name)))
	if err != nil {
		t.Fatal(err)
	}
	b, err := proto.Marshal(mp)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "model.onnx")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	ref, err := newORTSession(t, path).run(feeds)
	if err != nil {
		t.Fatalf("ONNX Runtime: %v", err)
	}
	m, err := onnx.ImportBytes(b, path)
	if err != nil {
		t.Fatalf("kiln import: %v", err)
	}
	got, err := runKiln(m, feeds)
	if err != nil {
		t.Fatalf("kiln run: %v", err)
	}
	for _, o := range outs {
		if err := compareOutput(got[o], ref[o], rtol, atol); err != nil {
			t.Errorf("output %s: kiln vs ONNX Runtime: %v", o, err)
		}
	}
}

// compareOutput compares exactly for strings, and otherwise as
// compareClose does (exact for integers and bools).
func compareOutput(got, want *interp.Tensor, rtol, atol float64) error {
	if got == nil || want == nil {
		return fmt.Errorf("missing output (kiln %v, ONNX Runtime %v)", got != nil, want != nil)
	}
	if want.DType == ir.String || got.DType == ir.String {
		if got.DType != want.DType || fmt.Sprint(got.Shape) != fmt.Sprint(want.Shape) {
			return fmt.Errorf("%v%v, want %v%v", got.DType, got.Shape, want.DType, want.Shape)
		}
		g, w := interp.Data[string](got), interp.Data[string](want)
		for i := range w {
			if g[i] != w[i] {
				return fmt.Errorf("element %d: %q, want %q", i, g[i], w[i])
			}
		}
		return nil
	}
	_, err := compareClose(got, want, rtol, atol)
	return err
}

// Random tensors for the rows. Each takes the row's source, a value range
// and a shape.

func randF32(r *rand.Rand, lo, hi float64, shape ...int) *interp.Tensor {
	d := make([]float32, interp.NumElements(shape))
	for i := range d {
		d[i] = float32(lo + (hi-lo)*r.Float64())
	}
	return interp.FromSlice(shape, d)
}

func randF64(r *rand.Rand, lo, hi float64, shape ...int) *interp.Tensor {
	d := make([]float64, interp.NumElements(shape))
	for i := range d {
		d[i] = lo + (hi-lo)*r.Float64()
	}
	return interp.FromSlice(shape, d)
}

// randInt fills a tensor of integer element type T with values in lo..hi.
func randInt[T int8 | int16 | int32 | int64 | uint8 | uint16 | uint32 | uint64](r *rand.Rand, lo, hi int64, shape ...int) *interp.Tensor {
	d := make([]T, interp.NumElements(shape))
	for i := range d {
		d[i] = T(lo + r.Int64N(hi-lo+1))
	}
	return interp.FromSlice(shape, d)
}

func randBool(r *rand.Rand, shape ...int) *interp.Tensor {
	d := make([]bool, interp.NumElements(shape))
	for i := range d {
		d[i] = r.IntN(2) == 1
	}
	return interp.FromSlice(shape, d)
}

// i64s is a 1-D int64 tensor (axes, pads, sizes).
func i64s(v ...int64) *interp.Tensor { return interp.FromSlice([]int{len(v)}, v) }

// f32s is a 1-D float32 tensor.
func f32s(v ...float32) *interp.Tensor { return interp.FromSlice([]int{len(v)}, v) }

// withSpecials overwrites a few elements of a float32 tensor with NaN and
// infinities, for the IsNaN/IsInf rows.
func withSpecials(t *interp.Tensor) *interp.Tensor {
	d := interp.Data[float32](t)
	sp := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))}
	for i := 0; i < len(d) && i < 3*len(sp); i += 3 {
		d[i] = sp[i/3]
	}
	return t
}

// Attribute constructors.

func aInt(name string, v int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(v)}
}

func aInts(name string, v ...int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INTS.Enum(), Ints: v}
}

func aFloat(name string, v float32) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_FLOAT.Enum(), F: proto.Float32(v)}
}

func aStr(name, v string) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_STRING.Enum(), S: []byte(v)}
}

func aTensor(name string, t *interp.Tensor) *onnxpb.AttributeProto {
	tp, err := tensorProto("", t)
	if err != nil {
		panic(err) // rows only use dtypes tensorProto encodes
	}
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_TENSOR.Enum(), T: tp}
}

// ins is shorthand for a row's input list.
func ins(v ...opIn) []opIn { return v }

// dt repeats a dtype n times: a row's output types.
func dt(d ir.DType, n int) []ir.DType {
	out := make([]ir.DType, n)
	for i := range out {
		out[i] = d
	}
	return out
}
