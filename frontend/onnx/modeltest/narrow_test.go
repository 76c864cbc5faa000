package modeltest

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/kiln-ml/kiln/frontend/onnx"
	"github.com/kiln-ml/kiln/frontend/onnx/onnxpb"
	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/interp"
	"github.com/kiln-ml/kiln/ir/tensor"
)

// Live comparisons for ONNX's narrow element types (float8, int4, uint4,
// float4): small graphs of Cast, CastLike, QuantizeLinear,
// DequantizeLinear and data movement, run in ONNX Runtime and in kiln.
// float8 values cross the runtime boundary as themselves and are compared
// bit for bit (NaN codes included). onnxruntime_go cannot read back the
// packed 4-bit types, so graphs that make int4, uint4 or float4 values
// widen them (Cast, DequantizeLinear) before their output; 4-bit inputs
// are initializers, which also exercises the importer's packed payloads.

// gNode is a node of a narrow-type graph.
func gNode(op string, ins, outs []string, attrs ...*onnxpb.AttributeProto) *onnxpb.NodeProto {
	return &onnxpb.NodeProto{OpType: proto.String(op), Input: ins, Output: outs, Attribute: attrs}
}

// graphCase is a small graph: named feeds and initializers, nodes, and the
// element types of its outputs.
type graphCase struct {
	name  string
	opset int64
	feeds map[string]*interp.Tensor
	inits map[string]*interp.Tensor
	nodes []*onnxpb.NodeProto
	outs  map[string]ir.DType
	// ortLacks, when set, says which part ONNX Runtime 1.30 does not
	// implement: kiln still imports and runs the graph, ONNX Runtime must
	// still refuse it (so the row is revisited when it no longer does),
	// and nothing is compared.
	ortLacks string
	// twin, with ortLacks, compares kiln's result with ONNX Runtime's for
	// the same graph on the values' storage type (u8, or i8 for i4),
	// which holds the same codes: right for ops that only move elements.
	twin bool
}

func (c graphCase) model() ([]byte, error) {
	g := &onnxpb.GraphProto{Name: proto.String(strings.ReplaceAll(c.name, " ", "_")), Node: c.nodes}
	for _, name := range sortedKeys(c.feeds) {
		x := c.feeds[name]
		g.Input = append(g.Input, valueInfo(name, x.DType, x.Shape))
	}
	for _, name := range sortedKeys(c.inits) {
		tp, err := tensorProto(name, c.inits[name])
		if err != nil {
			return nil, err
		}
		g.Initializer = append(g.Initializer, tp)
	}
	for _, name := range sortedKeys(c.outs) {
		g.Output = append(g.Output, valueInfo(name, c.outs[name], nil))
	}
	mp := &onnxpb.ModelProto{IrVersion: proto.Int64(irVersionFor(c.opset)), ProducerName: proto.String("kiln narrow-type tests"),
		Graph: g, OpsetImport: []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(c.opset)}}}
	return proto.Marshal(mp)
}

func sortedKeys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	for i := range ks {
		for j := i + 1; j < len(ks); j++ {
			if ks[j] < ks[i] {
				ks[i], ks[j] = ks[j], ks[i]
			}
		}
	}
	return ks
}

func runGraphCase(t *testing.T, c graphCase) {
	b, err := c.model()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "model.onnx")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	feeds := c.feeds
	if len(feeds) == 0 {
		// onnxruntime_go cannot run a graph without inputs.
		feeds = map[string]*interp.Tensor{"unused": interp.Scalar(float32(0))}
		c.feeds = feeds
		if b, err = c.model(); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m, err := onnx.ImportBytes(b, path)
	if err != nil {
		t.Fatalf("kiln import: %v", err)
	}
	got, err := runKiln(m, c.feeds)
	if err != nil {
		t.Fatalf("kiln run: %v", err)
	}
	if c.ortLacks != "" {
		err := ortRefuses(t, path, feeds)
		if err == nil {
			t.Fatalf("ONNX Runtime now runs this graph (%s): compare it", c.ortLacks)
		}
		if !c.twin {
			t.Skipf("ONNX Runtime 1.30 lacks %s (%v); kiln ran it", c.ortLacks, err)
		}
		c = storageTwin(c)
		feeds = c.feeds
		if len(feeds) == 0 {
			feeds = map[string]*interp.Tensor{"unused": interp.Scalar(float32(0))}
			c.feeds = feeds
		}
		if b, err = c.model(); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		for name, g := range got {
			got[name] = &interp.Tensor{DType: g.DType.StorageDType(), Shape: g.Shape, Data: g.Data}
		}
	}
	ref, err := newORTSession(t, path).run(feeds)
	if err != nil {
		t.Fatalf("ONNX Runtime: %v", err)
	}
	for name := range c.outs {
		if err := sameElements(got[name], ref[name]); err != nil {
			t.Errorf("output %s: kiln vs ONNX Runtime: %v", name, err)
		}
	}
}

// sameElements compares two tensors exactly: their byte forms, so NaN
// codes and zero signs count. A float mismatch names the first differing
// element's values.
func sameElements(got, want *interp.Tensor) error {
	if got == nil || want == nil {
		return fmt.Errorf("missing output (kiln %v, ONNX Runtime %v)", got != nil, want != nil)
	}
	if got.DType != want.DType || fmt.Sprint(got.Shape) != fmt.Sprint(want.Shape) {
		return fmt.Errorf("%v%v, want %v%v", got.DType, got.Shape, want.DType, want.Shape)
	}
	if got.DType.IsFloat() {
		gf, err := interp.CastTensor(got, ir.F32)
		if err != nil {
			return err
		}
		wf, err := interp.CastTensor(want, ir.F32)
		if err != nil {
			return err
		}
		g, w := interp.Data[float32](gf), interp.Data[float32](wf)
		for i := range w {
			if math.Float32bits(g[i]) != math.Float32bits(w[i]) && !(g[i] != g[i] && w[i] != w[i]) {
				var diffs []string
				for j := range w {
					if math.Float32bits(g[j]) != math.Float32bits(w[j]) && !(g[j] != g[j] && w[j] != w[j]) {
						diffs = append(diffs, fmt.Sprintf("%d:%v/%v", j, g[j], w[j]))
					}
				}
				return fmt.Errorf("element %d: %v, want %v (every difference, kiln/ONNX Runtime: %s)", i, g[i], w[i], strings.Join(diffs, " "))
			}
		}
		return nil
	}
	gb, err := tensor.EncodeBytes(got)
	if err != nil {
		return err
	}
	wb, err := tensor.EncodeBytes(want)
	if err != nil {
		return err
	}
	if !bytes.Equal(gb, wb) {
		for i := range wb {
			if gb[i] != wb[i] {
				var diffs []string
				for j := range wb {
					if gb[j] != wb[j] {
						diffs = append(diffs, fmt.Sprintf("%d:%#02x/%#02x", j, gb[j], wb[j]))
					}
				}
				return fmt.Errorf("byte %d: %#02x, want %#02x (every difference, kiln/ONNX Runtime: %s)", i, gb[i], wb[i], strings.Join(diffs, " "))
			}
		}
	}
	return nil
}

// float8s lists the float8 types with their largest finite values.
var float8s = []struct {
	d   ir.DType
	max float64
}{{ir.F8E4M3FN, 448}, {ir.F8E4M3FNUZ, 240}, {ir.F8E5M2, 57344}, {ir.F8E5M2FNUZ, 57344}}

// castProbe is a float32 vector for casts to a type whose largest value is
// max: zeros of both signs, NaN, infinities, values at, near and beyond
// max, ties at several binades and among the subnormals, and random values
// over the whole range and among the tiny ones.
func castProbe(name string, max float64) *interp.Tensor {
	r := rowRand(name)
	v := []float64{0, math.Copysign(0, -1), math.NaN(), math.Inf(1), math.Inf(-1),
		max, -max, max * 1.03, max * 1.07, -max * 1.1, 2 * max, 1e30, -1e30,
		1 + 1.0/16, 1 + 3.0/16, 1 + 1.0/8, 1 + 3.0/8, 2.5, 5, 7, 0.25, 0.75, -0.75,
		math.Ldexp(1, -10), math.Ldexp(3, -10), math.Ldexp(1, -17), math.Ldexp(3, -18), math.Ldexp(1, -30), -math.Ldexp(1, -30)}
	for i := 0; i < 64; i++ {
		v = append(v, (r.Float64()*2-1)*max*1.2)
	}
	for i := 0; i < 64; i++ {
		v = append(v, (r.Float64()*2-1)*math.Ldexp(1, -r.IntN(20)))
	}
	f := make([]float32, len(v))
	for i, x := range v {
		f[i] = float32(x)
	}
	return interp.FromSlice([]int{len(f)}, f)
}

// allCodes is a tensor of narrow type d holding every code of the type.
func allCodes(d ir.DType) *interp.Tensor {
	n := 256
	if d.IsPacked() {
		n = 16
	}
	codes := make([]uint8, n)
	for i := range codes {
		codes[i] = uint8(i)
	}
	if d == ir.I4 {
		v := make([]int8, n)
		for i := range v {
			v[i] = int8(i) - 8
		}
		return &interp.Tensor{DType: d, Shape: []int{n}, Data: v}
	}
	return &interp.Tensor{DType: d, Shape: []int{n}, Data: codes}
}

// TestNarrowCastORT casts to and from every narrow type in ONNX Runtime
// and kiln: to float8 with saturate 1 and 0 (bit for bit), every float8
// code back to float32, and every 4-bit code to float32; float32 to
// float4, int4 and uint4 (widened again for output).
func TestNarrowCastORT(t *testing.T) {
	ortAvailable(t)
	var cases []graphCase
	for _, f := range float8s {
		for _, sat := range []int64{1, 0} {
			name := fmt.Sprintf("Cast f32 to %v saturate %d", f.d, sat)
			cases = append(cases, graphCase{name: name, opset: 19,
				feeds: map[string]*interp.Tensor{"x": castProbe(name, f.max)},
				nodes: []*onnxpb.NodeProto{gNode("Cast", []string{"x"}, []string{"y"}, aInt("to", int64(onnx.ONNXDType(f.d))), aInt("saturate", sat))},
				outs:  map[string]ir.DType{"y": f.d}})
		}
		name := fmt.Sprintf("CastLike f32 to %v", f.d)
		like := &interp.Tensor{DType: f.d, Shape: []int{1}, Data: []uint8{0}}
		cases = append(cases, graphCase{name: name, opset: 19,
			feeds: map[string]*interp.Tensor{"x": castProbe(name, f.max)},
			inits: map[string]*interp.Tensor{"like": like},
			nodes: []*onnxpb.NodeProto{gNode("CastLike", []string{"x", "like"}, []string{"y"}, aInt("saturate", 0))},
			outs:  map[string]ir.DType{"y": f.d}})
		// Not f16 out: onnxruntime_go copies one byte per element of a
		// float16 output.
		for _, to := range []ir.DType{ir.F32} {
			cases = append(cases, graphCase{name: fmt.Sprintf("Cast %v to %v", f.d, to), opset: 19,
				feeds: map[string]*interp.Tensor{"x": allCodes(f.d)},
				nodes: []*onnxpb.NodeProto{gNode("Cast", []string{"x"}, []string{"y"}, aInt("to", int64(onnx.ONNXDType(to))))},
				outs:  map[string]ir.DType{"y": to}})
		}
	}
	for _, d := range []ir.DType{ir.I4, ir.U4, ir.F4E2M1} {
		lacks := ""
		if d == ir.F4E2M1 {
			lacks = "Cast to and from float4e2m1 on CPU"
		}
		cases = append(cases, graphCase{name: fmt.Sprintf("Cast %v to f32", d), opset: 23, ortLacks: lacks,
			inits: map[string]*interp.Tensor{"x": allCodes(d)},
			nodes: []*onnxpb.NodeProto{gNode("Cast", []string{"x"}, []string{"y"}, aInt("to", int64(onnx.ONNXDType(ir.F32))))},
			outs:  map[string]ir.DType{"y": ir.F32}})
		name := fmt.Sprintf("Cast f32 to %v and back", d)
		cases = append(cases, graphCase{name: name, opset: 23, ortLacks: lacks,
			feeds: map[string]*interp.Tensor{"x": castProbe(name, 6)},
			nodes: []*onnxpb.NodeProto{
				gNode("Cast", []string{"x"}, []string{"n"}, aInt("to", int64(onnx.ONNXDType(d)))),
				gNode("Cast", []string{"n"}, []string{"y"}, aInt("to", int64(onnx.ONNXDType(ir.F32)))),
			},
			outs: map[string]ir.DType{"y": ir.F32}})
	}
	// Constant nodes holding narrow tensors (an odd count packs a padded
	// byte).
	for _, d := range []ir.DType{ir.F8E4M3FN, ir.F8E5M2FNUZ, ir.I4, ir.U4} {
		name := fmt.Sprintf("Constant %v", d)
		cases = append(cases, graphCase{name: name, opset: 21,
			inits: map[string]*interp.Tensor{"s": interp.Scalar(float32(0.5))},
			nodes: []*onnxpb.NodeProto{
				gNode("Constant", nil, []string{"k"}, aTensor("value", randNarrow(name, d, 7))),
				gNode("DequantizeLinear", []string{"k", "s"}, []string{"y"}),
			},
			outs: map[string]ir.DType{"y": ir.F32}})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { runGraphCase(t, c) })
	}
}

// storageTwin is c with every narrow tensor and output type replaced by
// its storage type (same codes, one per byte).
func storageTwin(c graphCase) graphCase {
	re := func(m map[string]*interp.Tensor) map[string]*interp.Tensor {
		out := map[string]*interp.Tensor{}
		for k, v := range m {
			out[k] = &interp.Tensor{DType: v.DType.StorageDType(), Shape: v.Shape, Data: v.Data}
		}
		return out
	}
	c.feeds, c.inits = re(c.feeds), re(c.inits)
	outs := map[string]ir.DType{}
	for k, d := range c.outs {
		outs[k] = d.StorageDType()
	}
	c.outs = outs
	return c
}

// ortRefuses opens and runs the model in ONNX Runtime, returning its
// refusal (nil when it runs).
func ortRefuses(t *testing.T, path string, feeds map[string]*interp.Tensor) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	s, err := tryORTSession(path)
	if err != nil {
		return err
	}
	_, err = s.run(feeds)
	return err
}

// f8Zero is a scalar float8 zero of type d: a zero point that only sets
// QuantizeLinear's output type.
func f8Zero(d ir.DType, n int) *interp.Tensor {
	if n == 0 {
		return &interp.Tensor{DType: d, Data: []uint8{0}}
	}
	return &interp.Tensor{DType: d, Shape: []int{n}, Data: make([]uint8, n)}
}

// int4s is a tensor of i4 or u4 values.
func int4s(d ir.DType, shape []int, v ...int) *interp.Tensor {
	if d == ir.I4 {
		x := make([]int8, len(v))
		for i := range v {
			x[i] = int8(v[i])
		}
		return &interp.Tensor{DType: d, Shape: shape, Data: x}
	}
	x := make([]uint8, len(v))
	for i := range v {
		x[i] = uint8(v[i])
	}
	return &interp.Tensor{DType: d, Shape: shape, Data: x}
}

// randNarrow fills a tensor of a narrow type with random codes (4-bit
// values in their range; float8 codes other than NaN).
func randNarrow(name string, d ir.DType, shape ...int) *interp.Tensor {
	r := rowRand(name)
	n := interp.NumElements(shape)
	switch d {
	case ir.I4:
		x := make([]int8, n)
		for i := range x {
			x[i] = int8(r.IntN(16)) - 8
		}
		return &interp.Tensor{DType: d, Shape: shape, Data: x}
	case ir.U4, ir.F4E2M1:
		x := make([]uint8, n)
		for i := range x {
			x[i] = uint8(r.IntN(16))
		}
		return &interp.Tensor{DType: d, Shape: shape, Data: x}
	}
	f, _ := ir.MiniFloatOf(d)
	x := make([]uint8, n)
	for i := range x {
		for {
			x[i] = uint8(r.IntN(256))
			if v := f.Float64(x[i]); !math.IsNaN(v) && !math.IsInf(v, 0) {
				break
			}
		}
	}
	return &interp.Tensor{DType: d, Shape: shape, Data: x}
}

func dtAttr(name string, d ir.DType) *onnxpb.AttributeProto {
	return aInt(name, int64(onnx.ONNXDType(d)))
}

// TestNarrowQDQORT quantizes to and dequantizes from every narrow type:
// per tensor, per axis and blocked (block_size, -21), with saturate on
// and off for float8 and with output_dtype instead of a zero point.
func TestNarrowQDQORT(t *testing.T) {
	ortAvailable(t)
	var cases []graphCase
	for _, f := range float8s {
		for _, sat := range []int64{1, 0} {
			name := fmt.Sprintf("QuantizeLinear f32 to %v per tensor saturate %d", f.d, sat)
			x := castProbe(name, f.max*0.5)
			cases = append(cases, graphCase{name: name, opset: 19,
				feeds: map[string]*interp.Tensor{"x": x},
				inits: map[string]*interp.Tensor{"s": interp.Scalar(float32(0.5)), "z": f8Zero(f.d, 0)},
				nodes: []*onnxpb.NodeProto{gNode("QuantizeLinear", []string{"x", "s", "z"}, []string{"y"}, aInt("saturate", sat))},
				outs:  map[string]ir.DType{"y": f.d}})
		}
		name := fmt.Sprintf("QuantizeLinear f32 to %v per axis", f.d)
		cases = append(cases, graphCase{name: name, opset: 21,
			feeds: map[string]*interp.Tensor{"x": randF32(rowRand(name), -f.max, f.max, 2, 3, 4)},
			inits: map[string]*interp.Tensor{"s": f32s(0.5, 2, 0.125), "z": f8Zero(f.d, 3)},
			nodes: []*onnxpb.NodeProto{gNode("QuantizeLinear", []string{"x", "s", "z"}, []string{"y"}, aInt("axis", 1))},
			outs:  map[string]ir.DType{"y": f.d}})
		name = fmt.Sprintf("QuantizeLinear f32 to %v by output_dtype", f.d)
		cases = append(cases, graphCase{name: name, opset: 21,
			feeds: map[string]*interp.Tensor{"x": randF32(rowRand(name), -f.max, f.max, 5, 3)},
			inits: map[string]*interp.Tensor{"s": interp.Scalar(float32(0.75))},
			nodes: []*onnxpb.NodeProto{gNode("QuantizeLinear", []string{"x", "s"}, []string{"y"}, dtAttr("output_dtype", f.d))},
			outs:  map[string]ir.DType{"y": f.d}})
		name = fmt.Sprintf("DequantizeLinear %v per tensor", f.d)
		cases = append(cases, graphCase{name: name, opset: 19,
			feeds: map[string]*interp.Tensor{"x": allCodes(f.d)},
			inits: map[string]*interp.Tensor{"s": interp.Scalar(float32(0.375)), "z": f8Zero(f.d, 0)},
			nodes: []*onnxpb.NodeProto{gNode("DequantizeLinear", []string{"x", "s", "z"}, []string{"y"})},
			outs:  map[string]ir.DType{"y": ir.F32}})
		name = fmt.Sprintf("DequantizeLinear %v per axis", f.d)
		cases = append(cases, graphCase{name: name, opset: 21,
			feeds: map[string]*interp.Tensor{"x": randNarrow(name, f.d, 3, 4)},
			inits: map[string]*interp.Tensor{"s": f32s(0.5, 2, 0.125, 3)},
			nodes: []*onnxpb.NodeProto{gNode("DequantizeLinear", []string{"x", "s"}, []string{"y"}, aInt("axis", 1))},
			outs:  map[string]ir.DType{"y": ir.F32}})
	}
	for _, d := range []ir.DType{ir.I4, ir.U4} {
		lo, hi := -8, 7
		if d == ir.U4 {
			lo, hi = 0, 15
		}
		zero := func(n int) *interp.Tensor {
			v := make([]int, max(n, 1))
			for i := range v {
				v[i] = (lo + hi) / 2
			}
			if n == 0 {
				return int4s(d, nil, v...)
			}
			return int4s(d, []int{n}, v...)
		}
		// Quantize, then dequantize for output (4-bit outputs cannot be
		// read back from ONNX Runtime).
		qdq := func(name string, x *interp.Tensor, s, z *interp.Tensor, attrs ...*onnxpb.AttributeProto) graphCase {
			inits := map[string]*interp.Tensor{"s": s}
			ins := []string{"x", "s"}
			if z != nil {
				inits["z"] = z
				ins = append(ins, "z")
			}
			return graphCase{name: name, opset: 21,
				feeds: map[string]*interp.Tensor{"x": x}, inits: inits,
				nodes: []*onnxpb.NodeProto{
					gNode("QuantizeLinear", ins, []string{"q"}, attrs...),
					gNode("DequantizeLinear", append([]string{"q"}, ins[1:]...), []string{"y"}, attrs...),
					gNode("Cast", []string{"q"}, []string{"qi"}, dtAttr("to", ir.I8)),
				},
				outs: map[string]ir.DType{"y": ir.F32, "qi": ir.I8}}
		}
		name := fmt.Sprintf("Quantize and dequantize %v per tensor", d)
		cases = append(cases, qdq(name, randF32(rowRand(name), -10, 10, 4, 6), interp.Scalar(float32(0.625)), zero(0)))
		name = fmt.Sprintf("Quantize and dequantize %v per axis", d)
		cases = append(cases, qdq(name, randF32(rowRand(name), -10, 10, 2, 3, 5), f32s(0.5, 1.5, 0.25), zero(3), aInt("axis", 1)))
		name = fmt.Sprintf("Quantize and dequantize %v blocked", d)
		cases = append(cases, qdq(name, randF32(rowRand(name), -10, 10, 3, 8), randF32(rowRand(name+" s"), 0.25, 2, 3, 3), nil,
			aInt("axis", 1), aInt("block_size", 3)))
		name = fmt.Sprintf("Quantize %v by output_dtype", d)
		c := qdq(name, randF32(rowRand(name), -10, 10, 7), interp.Scalar(float32(1.25)), nil, dtAttr("output_dtype", d))
		c.nodes[1] = gNode("DequantizeLinear", []string{"q", "s"}, []string{"y"})
		cases = append(cases, c)
		// Dequantize packed initializers (odd counts: padded bytes).
		name = fmt.Sprintf("DequantizeLinear %v blocked initializer", d)
		cases = append(cases, graphCase{name: name, opset: 21,
			feeds: map[string]*interp.Tensor{"s": randF32(rowRand(name), 0.1, 2, 5, 2)},
			inits: map[string]*interp.Tensor{"x": randNarrow(name, d, 5, 7)},
			nodes: []*onnxpb.NodeProto{gNode("DequantizeLinear", []string{"x", "s"}, []string{"y"}, aInt("axis", 1), aInt("block_size", 4))},
			outs:  map[string]ir.DType{"y": ir.F32}})
		name = fmt.Sprintf("DequantizeLinear %v per axis initializer", d)
		cases = append(cases, graphCase{name: name, opset: 21,
			feeds: map[string]*interp.Tensor{"s": randF32(rowRand(name), 0.1, 2, 3)},
			inits: map[string]*interp.Tensor{"x": randNarrow(name, d, 3, 3), "z": randNarrow(name+" z", d, 3)},
			nodes: []*onnxpb.NodeProto{gNode("DequantizeLinear", []string{"x", "s", "z"}, []string{"y"}, aInt("axis", 0))},
			outs:  map[string]ir.DType{"y": ir.F32}})
	}
	name := "Quantize and dequantize f4e2m1"
	cases = append(cases, graphCase{name: name, opset: 23,
		feeds: map[string]*interp.Tensor{"x": randF32(rowRand(name), -8, 8, 9)},
		inits: map[string]*interp.Tensor{"s": interp.Scalar(float32(1))},
		nodes: []*onnxpb.NodeProto{
			gNode("QuantizeLinear", []string{"x", "s"}, []string{"q"}, dtAttr("output_dtype", ir.F4E2M1)),
			gNode("DequantizeLinear", []string{"q", "s"}, []string{"y"}),
		},
		outs:     map[string]ir.DType{"y": ir.F32},
		ortLacks: "QuantizeLinear and DequantizeLinear for float4e2m1 on CPU"})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { runGraphCase(t, c) })
	}
}

// TestNarrowMovementORT moves narrow values with each data-movement op
// whose ONNX versions list them, one graph per op and type. 4-bit values
// come from initializers and leave through Cast.
func TestNarrowMovementORT(t *testing.T) {
	ortAvailable(t)
	type mover struct {
		op    string
		ins   []string
		attrs []*onnxpb.AttributeProto
		out   func(d ir.DType) ir.DType
	}
	same := func(d ir.DType) ir.DType { return d }
	i64 := func(ir.DType) ir.DType { return ir.I64 }
	movers := []mover{
		{"Transpose", []string{"x"}, []*onnxpb.AttributeProto{aInts("perm", 2, 0, 1)}, same},
		{"Reshape", []string{"x", "shape"}, nil, same},
		{"Unsqueeze", []string{"x", "axes"}, nil, same},
		{"Squeeze", []string{"x1", "axes"}, nil, same},
		{"Flatten", []string{"x"}, []*onnxpb.AttributeProto{aInt("axis", 2)}, same},
		{"Identity", []string{"x"}, nil, same},
		{"Pad", []string{"x", "pads"}, nil, same},
		{"Shape", []string{"x"}, nil, i64},
		{"Size", []string{"x"}, nil, i64},
	}
	// Ops ONNX Runtime 1.30's CPU provider has no kernel for at these
	// types (found by running them).
	lacks := map[string]bool{}
	for _, k := range ortLacksMovement {
		lacks[k] = true
	}
	var cases []graphCase
	for _, d := range []ir.DType{ir.F8E4M3FN, ir.F8E4M3FNUZ, ir.F8E5M2, ir.F8E5M2FNUZ, ir.I4, ir.U4} {
		for _, m := range movers {
			name := fmt.Sprintf("%s %v", m.op, d)
			x := randNarrow(name, d, 2, 3, 4)
			x1 := x.Reshaped([]int{1, 2, 3, 4})
			c := graphCase{name: name, opset: 21,
				inits: map[string]*interp.Tensor{"shape": i64s(4, 6), "axes": i64s(0), "pads": i64s(1, 0, 0, 0, 2, 1)},
				nodes: []*onnxpb.NodeProto{gNode(m.op, m.ins, []string{"y"}, m.attrs...)},
				outs:  map[string]ir.DType{"y": m.out(d)}}
			if lacks[fmt.Sprintf("%s %v", m.op, d)] {
				c.ortLacks = fmt.Sprintf("%s-21 for %v on CPU", m.op, d)
				// Size's rank-0 output cannot be read back from
				// onnxruntime_go; the others are compared on storage.
				c.twin = m.op != "Size"
			}
			if d.IsPacked() {
				c.inits["x"], c.inits["x1"] = x, x1
				if m.out(d) == d {
					c.nodes = append(c.nodes, gNode("Cast", []string{"y"}, []string{"yi"}, dtAttr("to", ir.I32)))
					c.outs = map[string]ir.DType{"yi": ir.I32}
				}
			} else {
				c.feeds = map[string]*interp.Tensor{"x": x, "x1": x1}
			}
			cases = append(cases, c)
		}
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { runGraphCase(t, c) })
	}
}

// ortLacksMovement lists the data-movement ops and narrow types ONNX
// Runtime 1.30 has no CPU kernel for ("Could not find an implementation"):
// of these ops it runs Transpose, Identity and Shape at every float8 and
// 4-bit type, and Reshape at the float8 types.
var ortLacksMovement = func() []string {
	var out []string
	for _, d := range []string{"f8e4m3fn", "f8e4m3fnuz", "f8e5m2", "f8e5m2fnuz", "i4", "u4"} {
		for _, op := range []string{"Unsqueeze", "Squeeze", "Flatten", "Pad", "Size"} {
			out = append(out, op+" "+d)
		}
	}
	return append(out, "Reshape i4", "Reshape u4")
}()
