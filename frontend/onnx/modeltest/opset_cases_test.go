package modeltest

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/kiln-ml/kiln/frontend/onnx/onnxpb"
	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/interp"
)

// TestOpsetsAbove17 runs the harness rows: one per op version and
// attribute form of the versions ONNX added in opsets 18 to 26.
func TestOpsetsAbove17(t *testing.T) {
	var cases []opCase
	for _, g := range [][]opCase{reduceCases(), tensorCases()} {
		cases = append(cases, g...)
	}
	runOpCases(t, cases)
}

// attrs is a row's attribute list.
func attrs(a ...*onnxpb.AttributeProto) []*onnxpb.AttributeProto { return a }

// reduceCases: the ten Reduce ops at opset 18 (axes an input,
// noop_with_empty_axes), ReduceMax/Min-20 on bool.
func reduceCases() []opCase {
	var cs []opCase
	for _, op := range []string{"ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1",
		"ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare", "ReduceSum"} {
		// LogSum needs positive sums; the others take signed values.
		lo := -2.0
		if op == "ReduceLogSum" {
			lo = 0.1
		}
		x := func(r *rand.Rand) *interp.Tensor { return randF32(r, lo, 2, 3, 4, 5) }
		cs = append(cs,
			opCase{name: op + "-18 axes input", opset: 18, op: op, outs: dt(ir.F32, 1),
				in: func(r *rand.Rand) []opIn { return ins(feed(x(r)), ini(i64s(0, -1))) }},
			opCase{name: op + "-18 keepdims=0", opset: 18, op: op, outs: dt(ir.F32, 1), attrs: attrs(aInt("keepdims", 0)),
				in: func(r *rand.Rand) []opIn { return ins(feed(x(r)), ini(i64s(1))) }},
			opCase{name: op + "-18 no axes", opset: 18, op: op, outs: dt(ir.F32, 1),
				in: func(r *rand.Rand) []opIn { return ins(feed(x(r))) }},
			opCase{name: op + "-18 noop_with_empty_axes", opset: 18, op: op, outs: dt(ir.F32, 1),
				attrs: attrs(aInt("noop_with_empty_axes", 1)),
				in:    func(r *rand.Rand) []opIn { return ins(feed(x(r)), ini(i64s())) }},
		)
	}
	cs = append(cs,
		opCase{name: "ReduceMax-18 int32 fed axes", opset: 18, op: "ReduceMax", outs: dt(ir.I32, 1),
			in: func(r *rand.Rand) []opIn { return ins(feed(randInt[int32](r, -100, 100, 4, 6)), feed(i64s(1))) }},
		opCase{name: "ReduceMin-18 uint8", opset: 18, op: "ReduceMin", outs: dt(ir.U8, 1),
			in: func(r *rand.Rand) []opIn { return ins(feed(randInt[uint8](r, 0, 255, 4, 6)), ini(i64s(0))) }},
	)
	for _, op := range []string{"ReduceMax", "ReduceMin"} {
		cs = append(cs, opCase{name: op + "-20 bool", opset: 20, op: op, outs: dt(ir.Bool, 1),
			in: func(r *rand.Rand) []opIn { return ins(feed(randBool(r, 3, 4)), ini(i64s(1))) }},
			opCase{name: op + "-20 bool no axes", opset: 20, op: op, outs: dt(ir.Bool, 1),
				in: func(r *rand.Rand) []opIn { return ins(feed(randBool(r, 2, 3))) }})
	}
	return cs
}

// tensorCases: Split-18, Pad-18/19, ScatterND/ScatterElements-18.
func tensorCases() []opCase {
	var cs []opCase
	// Split-18: num_outputs, even and uneven; split sizes still work.
	for _, c := range []struct {
		d, n int
	}{{6, 3}, {7, 3}, {10, 4}, {5, 2}} {
		cs = append(cs, opCase{name: fmt.Sprintf("Split-18 num_outputs=%d dim %d", c.n, c.d), opset: 18, op: "Split",
			attrs: attrs(aInt("axis", 1), aInt("num_outputs", int64(c.n))), outs: dt(ir.F32, c.n),
			in: func(r *rand.Rand) []opIn { return ins(feed(randF32(r, -1, 1, 2, c.d))) }})
	}
	cs = append(cs, opCase{name: "Split-18 split input", opset: 18, op: "Split", outs: dt(ir.I64, 2),
		in: func(r *rand.Rand) []opIn { return ins(feed(randInt[int64](r, -9, 9, 5, 2)), ini(i64s(2, 3))) }})
	// Pad-18 axes (int64 and int32, negative axes, crops); Pad-19 wrap.
	for _, mode := range []string{"constant", "reflect", "edge"} {
		cs = append(cs, opCase{name: "Pad-18 axes " + mode, opset: 18, op: "Pad", attrs: attrs(aStr("mode", mode)),
			outs: dt(ir.F32, 1),
			in: func(r *rand.Rand) []opIn {
				return ins(feed(randF32(r, -1, 1, 2, 3, 4)), ini(i64s(1, 2, 2, 0)), none, ini(i64s(-1, 1)))
			}})
	}
	cs = append(cs,
		// int32 axes, which the spec allows, fail ONNX Runtime's shape
		// inference; kiln takes them (unit tested in ir/interp).
		opCase{name: "Pad-18 axes constant_value", opset: 18, op: "Pad", outs: dt(ir.F32, 1),
			in: func(r *rand.Rand) []opIn {
				return ins(feed(randF32(r, -1, 1, 3, 4)), ini(i64s(2, -1)), ini(interp.Scalar(float32(1.5))),
					ini(i64s(0)))
			}},
		opCase{name: "Pad-18 no axes", opset: 18, op: "Pad", outs: dt(ir.I32, 1),
			in: func(r *rand.Rand) []opIn {
				return ins(feed(randInt[int32](r, -50, 50, 3, 4)), ini(i64s(1, 0, 0, 2)))
			}},
	)
	// Pads wider than the dim are left out: kiln repeats the data
	// periodically as ONNX's reference (numpy's wrap) does, ONNX Runtime
	// 1.30 does not.
	for _, p := range [][]int64{{2, 1, 3, 2}, {0, 4, 1, 0}, {-1, 2, 2, -1}} {
		cs = append(cs, opCase{name: fmt.Sprintf("Pad-19 wrap pads %v", p), opset: 19, op: "Pad",
			attrs: attrs(aStr("mode", "wrap")), outs: dt(ir.F32, 1),
			in: func(r *rand.Rand) []opIn { return ins(feed(randF32(r, -1, 1, 3, 4)), ini(i64s(p...))) }})
	}
	cs = append(cs, opCase{name: "Pad-21 wrap axes", opset: 21, op: "Pad", attrs: attrs(aStr("mode", "wrap")),
		outs: dt(ir.F32, 1),
		in: func(r *rand.Rand) []opIn {
			return ins(feed(randF32(r, -1, 1, 2, 3, 4)), ini(i64s(3, 2)), none, ini(i64s(2)))
		}})
	// ScatterND/ScatterElements-18: max and min (and the older reductions),
	// with repeated indices so that the reduction matters.
	for _, red := range []string{"max", "min", "add", "mul", "none"} {
		cs = append(cs,
			opCase{name: "ScatterElements-18 " + red, opset: 18, op: "ScatterElements", outs: dt(ir.F32, 1),
				attrs: attrs(aInt("axis", 1), aStr("reduction", red)),
				in: func(r *rand.Rand) []opIn {
					idx := randInt[int64](r, 0, 4, 3, 3)
					if red == "none" { // unique indices per row: no write order to depend on
						idx = interp.FromSlice([]int{3, 3}, []int64{0, 2, 4, 1, 3, 0, 4, 2, 1})
					}
					return ins(feed(randF32(r, -1, 1, 3, 5)), ini(idx), feed(randF32(r, -1, 1, 3, 3)))
				}},
			opCase{name: "ScatterND-18 " + red, opset: 18, op: "ScatterND", outs: dt(ir.I32, 1),
				attrs: attrs(aStr("reduction", red)),
				in: func(r *rand.Rand) []opIn {
					idx := interp.FromSlice([]int{3, 1}, []int64{0, 2, 0})
					if red == "none" {
						idx = interp.FromSlice([]int{3, 1}, []int64{0, 2, 3})
					}
					return ins(feed(randInt[int32](r, -9, 9, 4, 3)), ini(idx), feed(randInt[int32](r, -9, 9, 3, 3)))
				}},
		)
	}
	return cs
}

func TestOpHarnessRowNamesUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, g := range [][]opCase{reduceCases(), tensorCases()} {
		for _, c := range g {
			if seen[c.name] {
				t.Errorf("two rows named %q", c.name)
			}
			seen[c.name] = true
		}
	}
}
