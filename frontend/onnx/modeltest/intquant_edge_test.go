package modeltest

import (
	"math"
	"os"

	"google.golang.org/protobuf/proto"

	"math/rand/v2"
	"testing"

	"github.com/kiln-ml/kiln/frontend/onnx/onnxpb"
	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/interp"
)

// TestIntegerQuantEdges runs the integer quantization ops on the inputs
// where engines part ways: DynamicQuantizeLinear on all-zero, constant,
// one-signed, huge, tiny and non-finite inputs and on values that land
// exactly half-way between two steps; MatMulInteger, ConvInteger,
// QLinearMatMul and QLinearConv at the ends of their types' ranges, with
// per-channel zero points and scales, padding over a non-zero zero point,
// and requantized results that saturate. Each row is compared with ONNX
// Runtime: integers exactly, floats (the scale) to ONNX's tolerances.
func TestIntegerQuantEdges(t *testing.T) {
	runOpCases(t, intQuantEdgeCases())
	for _, c := range dqlEdgeCases() {
		t.Run("DynamicQuantizeLinear "+c.name, func(t *testing.T) {
			// ONNX Runtime's Go binding cannot return a rank-0 tensor: the
			// scale and zero point leave the graph reshaped to [1].
			b := newGraph("dql", 1)
			b.g.Node = append(b.g.Node, &onnxpb.NodeProto{OpType: proto.String("DynamicQuantizeLinear"), Name: proto.String("dql"),
				Input: []string{"x"}, Output: []string{"y", "scale", "zp"}})
			one := b.init("shape", i64s(1))
			s, z := b.op("Reshape", []string{"scale", one}), b.op("Reshape", []string{"zp", one})
			x := c.x(rowRand(c.name))
			b.g.Input = []*onnxpb.ValueInfoProto{valueInfo("x", ir.F32, x.Shape)}
			b.g.Output = []*onnxpb.ValueInfoProto{valueInfo("y", ir.U8, nil), valueInfo(s, ir.F32, nil), valueInfo(z, ir.U8, nil)}
			mp := &onnxpb.ModelProto{IrVersion: proto.Int64(7), Graph: b.g,
				OpsetImport: []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(11)}}}
			got, ref := runBoth(t, mp, map[string]*interp.Tensor{"x": x})
			for _, o := range []string{"y", s, z} {
				// The scale must agree exactly: it decides every code.
				if os.Getenv("KILN_DYNQ_SHOW") != "" {
					t.Logf("%s: kiln %v ORT %v", o, got[o], ref[o])
				}
				if err := compareOutput(got[o], ref[o], 0, 0); err != nil {
					t.Errorf("%s: kiln vs ONNX Runtime: %v", o, err)
				}
			}
		})
	}
}

// dqlEdgeCase is one DynamicQuantizeLinear input.
type dqlEdgeCase struct {
	name string
	x    func(r *rand.Rand) *interp.Tensor
}

func dqlEdgeCases() []dqlEdgeCase {
	// Sizes 37 and 1000 reach both the vector loops and the scalar tails.
	return []dqlEdgeCase{
		{"random", func(r *rand.Rand) *interp.Tensor { return randF32(r, -3, 5, 1000) }},
		{"all zero", func(r *rand.Rand) *interp.Tensor { return constF32(0, 4, 9) }},
		{"constant positive", func(r *rand.Rand) *interp.Tensor { return constF32(3.25, 37) }},
		{"constant negative", func(r *rand.Rand) *interp.Tensor { return constF32(-0.7, 37) }},
		{"only positive", func(r *rand.Rand) *interp.Tensor { return randF32(r, 0.5, 9, 1000) }},
		{"only negative", func(r *rand.Rand) *interp.Tensor { return randF32(r, -9, -0.5, 1000) }},
		{"huge range", func(r *rand.Rand) *interp.Tensor { return randF32(r, -3e37, 1e38, 1000) }},
		{"tiny range", func(r *rand.Rand) *interp.Tensor { return randF32(r, -1e-30, 2e-30, 37) }},
		{"denormal range", func(r *rand.Rand) *interp.Tensor { return randF32(r, -1e-40, 1e-40, 37) }},
		{"half steps", func(*rand.Rand) *interp.Tensor { return halfSteps() }},
		{"negative half steps", func(*rand.Rand) *interp.Tensor { return negHalfSteps() }},
		{"one element", func(*rand.Rand) *interp.Tensor { return constF32(-2, 1) }},
		{"NaN", func(r *rand.Rand) *interp.Tensor { return withNaNAt(randF32(r, -3, 5, 37), 5) }},
		{"NaN first", func(r *rand.Rand) *interp.Tensor { return withNaNAt(randF32(r, -3, 5, 37), 0) }},
		{"NaN in tail", func(r *rand.Rand) *interp.Tensor { return withNaNAt(randF32(r, -3, 5, 37), 36) }},
		{"negative infinity", func(r *rand.Rand) *interp.Tensor {
			x := randF32(r, -3, 5, 37)
			interp.Data[float32](x)[3] = float32(math.Inf(-1))
			return x
		}},
		{"both infinities", func(r *rand.Rand) *interp.Tensor {
			x := randF32(r, -3, 5, 37)
			interp.Data[float32](x)[3] = float32(math.Inf(-1))
			interp.Data[float32](x)[30] = float32(math.Inf(1))
			return x
		}},
		{"scale underflows", func(r *rand.Rand) *interp.Tensor { return randF32(r, -1e-44, 1e-44, 37) }},
		{"NaN only", func(r *rand.Rand) *interp.Tensor { return withNaNAt(constF32(0, 3), 0, 1, 2) }},
		{"infinity", func(r *rand.Rand) *interp.Tensor {
			x := randF32(r, -3, 5, 37)
			interp.Data[float32](x)[7] = float32(math.Inf(1))
			return x
		}},
	}
}

// constF32 is a float32 tensor of shape holding v everywhere.
func constF32(v float32, shape ...int) *interp.Tensor {
	d := make([]float32, interp.NumElements(shape))
	for i := range d {
		d[i] = v
	}
	return interp.FromSlice(shape, d)
}

// halfSteps is a float32 tensor whose range is [0, 255] (scale exactly 1,
// zero point 0), so every other element sits exactly half-way between
// two quantization steps: rounding half to even and half away from zero
// give different codes for it.
func halfSteps() *interp.Tensor {
	var d []float32
	for v := float32(0); v <= 255; v += 0.5 {
		d = append(d, v)
	}
	return interp.FromSlice([]int{len(d)}, d)
}

// negHalfSteps is halfSteps mirrored below zero: range [-255, 0], zero
// point 255.
func negHalfSteps() *interp.Tensor {
	t := halfSteps()
	for i, v := range interp.Data[float32](t) {
		interp.Data[float32](t)[i] = -v
	}
	return t
}

// withNaNAt puts a NaN at a few positions of a float32 tensor.
func withNaNAt(t *interp.Tensor, at ...int) *interp.Tensor {
	d := interp.Data[float32](t)
	for _, i := range at {
		d[i] = float32(math.NaN())
	}
	return t
}

func intQuantEdgeCases() []opCase {
	var cs []opCase
	mmi := func(name string, in func(r *rand.Rand) []opIn) {
		cs = append(cs, opCase{name: "MatMulInteger " + name, opset: 10, op: "MatMulInteger", outs: dt(ir.I32, 1), in: in})
	}
	mmi("u8 x u8 extremes", func(r *rand.Rand) []opIn {
		return ins(feed(randInt[uint8](r, 250, 255, 3, 300)), ini(randInt[uint8](r, 250, 255, 300, 5)),
			ini(interp.Scalar(uint8(0))), ini(interp.Scalar(uint8(0))))
	})
	mmi("u8 x i8 zero points", func(r *rand.Rand) []opIn {
		return ins(feed(randInt[uint8](r, 0, 255, 4, 70)), ini(randInt[int8](r, -128, 127, 70, 9)),
			ini(interp.Scalar(uint8(131))), ini(interp.Scalar(int8(-5))))
	})
	mmi("u8 x i8 per-column zero points", func(r *rand.Rand) []opIn {
		return ins(feed(randInt[uint8](r, 0, 255, 2, 3, 16)), ini(randInt[int8](r, -128, 127, 16, 6)),
			ini(interp.Scalar(uint8(7))), ini(randInt[int8](r, -128, 127, 6)))
	})
	mmi("u8 x u8 per-column zero points batched", func(r *rand.Rand) []opIn {
		return ins(feed(randInt[uint8](r, 0, 255, 2, 5, 33)), feed(randInt[uint8](r, 0, 255, 33, 4)),
			ini(interp.Scalar(uint8(255))), ini(randInt[uint8](r, 0, 255, 4)))
	})
	mmi("i8 x i8", func(r *rand.Rand) []opIn {
		return ins(feed(randInt[int8](r, -128, 127, 4, 50)), ini(randInt[int8](r, -128, 127, 50, 3)),
			ini(interp.Scalar(int8(-128))), ini(interp.Scalar(int8(127))))
	})
	mmi("i8 x u8", func(r *rand.Rand) []opIn {
		return ins(feed(randInt[int8](r, -128, 127, 4, 50)), ini(randInt[uint8](r, 0, 255, 50, 3)),
			ini(interp.Scalar(int8(3))), ini(interp.Scalar(uint8(200))))
	})
	mmi("no zero points", func(r *rand.Rand) []opIn {
		return ins(feed(randInt[uint8](r, 0, 255, 6, 8)), ini(randInt[int8](r, -128, 127, 8, 3)))
	})

	ci := func(name string, attrs []*onnxpb.AttributeProto, in func(r *rand.Rand) []opIn) {
		cs = append(cs, opCase{name: "ConvInteger " + name, opset: 10, op: "ConvInteger", outs: dt(ir.I32, 1), attrs: attrs, in: in})
	}
	ci("u8 x u8 padded over zero point", attrs(aInts("pads", 1, 2, 1, 0), aInts("strides", 2, 1)), func(r *rand.Rand) []opIn {
		return ins(feed(randInt[uint8](r, 0, 255, 1, 3, 7, 6)), ini(randInt[uint8](r, 0, 255, 4, 3, 3, 3)),
			ini(interp.Scalar(uint8(200))), ini(interp.Scalar(uint8(3))))
	})
	ci("u8 x i8 groups dilations", attrs(aInt("group", 2), aInts("dilations", 2, 1), aInts("pads", 2, 0, 2, 1)), func(r *rand.Rand) []opIn {
		return ins(feed(randInt[uint8](r, 0, 255, 2, 4, 8, 5)), ini(randInt[int8](r, -128, 127, 6, 2, 3, 2)),
			ini(interp.Scalar(uint8(17))), ini(interp.Scalar(int8(0))))
	})
	ci("extremes 1-D", attrs(aInts("pads", 2, 2)), func(r *rand.Rand) []opIn {
		return ins(feed(randInt[uint8](r, 254, 255, 1, 64, 9)), ini(randInt[uint8](r, 254, 255, 3, 64, 5)),
			ini(interp.Scalar(uint8(0))), ini(interp.Scalar(uint8(0))))
	})

	qmm := func(name string, in func(r *rand.Rand) []opIn, out ir.DType) {
		cs = append(cs, opCase{name: "QLinearMatMul " + name, opset: 10, op: "QLinearMatMul", outs: dt(out, 1), in: in})
	}
	qmm("u8 saturating", func(r *rand.Rand) []opIn {
		return ins(feed(randInt[uint8](r, 0, 255, 4, 40)), ini(interp.Scalar(float32(0.05))), ini(interp.Scalar(uint8(100))),
			ini(randInt[uint8](r, 0, 255, 40, 6)), ini(interp.Scalar(float32(0.02))), ini(interp.Scalar(uint8(128))),
			ini(interp.Scalar(float32(0.1))), ini(interp.Scalar(uint8(128))))
	}, ir.U8)
	qmm("u8 x i8 per-column scales", func(r *rand.Rand) []opIn {
		return ins(feed(randInt[uint8](r, 0, 255, 3, 24)), ini(interp.Scalar(float32(0.011))), ini(interp.Scalar(uint8(120))),
			ini(randInt[int8](r, -128, 127, 24, 5)), ini(randF32(r, 0.001, 0.01, 5)), ini(interp.FromSlice([]int{5}, make([]int8, 5))),
			ini(interp.Scalar(float32(0.7))), ini(interp.Scalar(uint8(125))))
	}, ir.U8)

	qmm("half steps", func(r *rand.Rand) []opIn {
		// a_scale·b_scale/y_scale = 0.5: every odd accumulator lands
		// half-way between two codes.
		return ins(feed(randInt[uint8](r, 0, 255, 5, 7)), ini(interp.Scalar(float32(0.5))), ini(interp.Scalar(uint8(128))),
			ini(randInt[uint8](r, 126, 130, 7, 6)), ini(interp.Scalar(float32(1))), ini(interp.Scalar(uint8(128))),
			ini(interp.Scalar(float32(1))), ini(interp.Scalar(uint8(128))))
	}, ir.U8)

	qc := func(name string, attrs []*onnxpb.AttributeProto, in func(r *rand.Rand) []opIn) {
		cs = append(cs, opCase{name: "QLinearConv " + name, opset: 10, op: "QLinearConv", outs: dt(ir.U8, 1), attrs: attrs, in: in})
	}
	qc("per-channel scales bias", attrs(aInts("pads", 1, 1, 1, 1)), func(r *rand.Rand) []opIn {
		return ins(feed(randInt[uint8](r, 0, 255, 1, 3, 6, 6)), ini(interp.Scalar(float32(0.02))), ini(interp.Scalar(uint8(90))),
			ini(randInt[int8](r, -127, 127, 4, 3, 3, 3)), ini(randF32(r, 0.002, 0.02, 4)), ini(interp.FromSlice([]int{4}, make([]int8, 4))),
			ini(interp.Scalar(float32(0.15))), ini(interp.Scalar(uint8(128))), ini(randInt[int32](r, -3000, 3000, 4)))
	})
	qc("saturating u8 weights", attrs(aInts("strides", 2, 2)), func(r *rand.Rand) []opIn {
		return ins(feed(randInt[uint8](r, 0, 255, 1, 2, 7, 7)), ini(interp.Scalar(float32(0.5))), ini(interp.Scalar(uint8(0))),
			ini(randInt[uint8](r, 0, 255, 3, 2, 2, 2)), ini(interp.Scalar(float32(0.5))), ini(interp.Scalar(uint8(128))),
			ini(interp.Scalar(float32(1))), ini(interp.Scalar(uint8(128))))
	})
	return cs
}
