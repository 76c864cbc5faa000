package interp

import (
	"fmt"
	"testing"

	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/tensor"
)

func ctlConst(t *testing.T, m *ir.Module, name string, x *Tensor) *ir.Value {
	t.Helper()
	b, err := tensor.EncodeBytes(x)
	if err != nil {
		t.Fatal(err)
	}
	return m.AddConst(name, x.Type(), &ir.Constant{Bytes: b})
}

func ctlInfer(t *testing.T, op *ir.Op) {
	t.Helper()
	if err := ir.InferTypes(op); err != nil {
		t.Fatal(err)
	}
}

func ctlRunMain(t *testing.T, m *ir.Module, inputs ...Value) []Value {
	t.Helper()
	if err := ir.Verify(m); err != nil {
		t.Fatal(err)
	}
	out, err := New(m, Options{}).Run("", inputs)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// A Loop doubling a carried vector M times and scanning every value.
func TestLoopCarriedAndScan(t *testing.T) {
	for _, tc := range []struct {
		trips     int64
		stopFirst bool // body returns cond false: one iteration only
		noCond    bool // no cond operand: the body's condition is ignored
		final     string
		scan      string
	}{
		{4, false, false, "f32[2] [16 16]", "f32[4 2] [2 2 4 4 8 8 16 16]"},
		{0, false, false, "f32[2] [1 1]", "f32[0 2] []"},
		{4, true, false, "f32[2] [2 2]", "f32[1 2] [2 2]"},
		{3, true, true, "f32[2] [8 8]", "f32[3 2] [2 2 4 4 8 8]"},
	} {
		t.Run(fmt.Sprint(tc.trips, tc.stopFirst, tc.noCond), func(t *testing.T) {
			m := ir.NewModule()
			f := m.NewFunc("main")
			x := f.AddInput("x", ir.TensorType(ir.F32, ir.ShapeOf(2)))
			mv := ctlConst(t, m, "M", Scalar(tc.trips))
			var cv *ir.Value
			if !tc.noCond {
				cv = ctlConst(t, m, "cond", Scalar(true))
			}
			loop := f.Body.NewOp("Loop", []*ir.Value{mv, cv, x}, nil, make([]ir.Type, 2))
			body := loop.AddRegion("body")
			body.AddParam(ir.TensorType(ir.I64, ir.ShapeOf()))
			c := body.AddParam(ir.TensorType(ir.Bool, ir.ShapeOf()))
			xv := body.AddParam(ir.TensorType(ir.F32, ir.ShapeOf(2)))
			add, err := body.Build("Add", []*ir.Value{xv, xv}, nil, 1)
			if err != nil {
				t.Fatal(err)
			}
			if tc.stopFirst {
				c = ctlConst(t, m, "stop", Scalar(false))
			}
			body.Results = []*ir.Value{c, add.Results[0], add.Results[0]}
			ctlInfer(t, loop)
			wantType := "f32[?,2]"
			if tc.noCond {
				wantType = fmt.Sprintf("f32[%d,2]", tc.trips) // a constant trip count fixes it
			}
			if got := loop.Results[1].Type.String(); got != wantType {
				t.Errorf("scan output type %s, want %s", got, wantType)
			}
			f.AddOutput("final", loop.Results[0])
			f.AddOutput("scan", loop.Results[1])
			out := ctlRunMain(t, m, vec[float32](1, 1))
			if got := out[0].(*Tensor).String(); got != tc.final {
				t.Errorf("final %s, want %s", got, tc.final)
			}
			if got := out[1].(*Tensor).String(); got != tc.scan {
				t.Errorf("scan %s, want %s", got, tc.scan)
			}
		})
	}
}

// A Scan computing running sums of the rows of x, with every combination of
// input direction and output direction, output axis 0 and 1.
func TestScanDirectionsAndAxes(t *testing.T) {
	for _, tc := range []struct {
		inDir, outDir, outAxis int64
		final, scan            string
	}{
		{0, 0, 0, "f32[2] [9 12]", "f32[3 2] [1 2 4 6 9 12]"},
		{1, 0, 0, "f32[2] [9 12]", "f32[3 2] [5 6 8 10 9 12]"},
		{0, 1, 0, "f32[2] [9 12]", "f32[3 2] [9 12 4 6 1 2]"},
		{0, 0, 1, "f32[2] [9 12]", "f32[2 3] [1 4 9 2 6 12]"},
		{1, 1, -1, "f32[2] [9 12]", "f32[2 3] [9 8 5 12 10 6]"},
	} {
		t.Run(fmt.Sprint(tc.inDir, tc.outDir, tc.outAxis), func(t *testing.T) {
			m := ir.NewModule()
			f := m.NewFunc("main")
			s0 := f.AddInput("s", ir.TensorType(ir.F32, ir.ShapeOf(2)))
			x := f.AddInput("x", ir.TensorType(ir.F32, ir.ShapeOf(3, 2)))
			attrs := []ir.Attr{
				{Name: "num_scan_inputs", Value: ir.IntAttr(1)},
				{Name: "scan_input_directions", Value: ir.IntsAttr([]int64{tc.inDir})},
				{Name: "scan_output_directions", Value: ir.IntsAttr([]int64{tc.outDir})},
				{Name: "scan_output_axes", Value: ir.IntsAttr([]int64{tc.outAxis})},
			}
			scan := f.Body.NewOp("Scan", []*ir.Value{s0, x}, attrs, make([]ir.Type, 2))
			body := scan.AddRegion("body")
			s := body.AddParam(ir.TensorType(ir.F32, ir.ShapeOf(2)))
			xi := body.AddParam(ir.TensorType(ir.F32, ir.ShapeOf(2)))
			add, err := body.Build("Add", []*ir.Value{s, xi}, nil, 1)
			if err != nil {
				t.Fatal(err)
			}
			body.Results = []*ir.Value{add.Results[0], add.Results[0]}
			ctlInfer(t, scan)
			f.AddOutput("final", scan.Results[0])
			f.AddOutput("scan", scan.Results[1])
			out := ctlRunMain(t, m, vec[float32](0, 0), FromSlice([]int{3, 2}, []float32{1, 2, 3, 4, 5, 6}))
			if got := out[0].(*Tensor).String(); got != tc.final {
				t.Errorf("final %s, want %s", got, tc.final)
			}
			if got := out[1].(*Tensor).String(); got != tc.scan {
				t.Errorf("scan %s, want %s", got, tc.scan)
			}
			wantType := "f32[3,2]"
			if tc.outAxis != 0 {
				wantType = "f32[2,3]"
			}
			if got := scan.Results[1].Type.String(); got != wantType {
				t.Errorf("inferred scan output type %s, want %s", got, wantType)
			}
		})
	}
}

// If returns the branch's values; branches may read outer values.
func TestIfReadsOuterValues(t *testing.T) {
	for _, cond := range []bool{true, false} {
		m := ir.NewModule()
		f := m.NewFunc("main")
		c := f.AddInput("c", ir.TensorType(ir.Bool, ir.ShapeOf()))
		x := f.AddInput("x", ir.TensorType(ir.F32, ir.ShapeOf(2)))
		op := f.Body.NewOp("If", []*ir.Value{c}, nil, make([]ir.Type, 1))
		th := op.AddRegion("then_branch")
		add, err := th.Build("Add", []*ir.Value{x, x}, nil, 1)
		if err != nil {
			t.Fatal(err)
		}
		th.Results = []*ir.Value{add.Results[0]}
		el := op.AddRegion("else_branch")
		el.Results = []*ir.Value{ctlConst(t, m, "k", vec[float32](7, 8, 9))}
		ctlInfer(t, op)
		if got := op.Results[0].Type.String(); got != "f32[?]" {
			t.Errorf("If type %s, want f32[?] (branches differ in shape)", got)
		}
		f.AddOutput("y", op.Results[0])
		out := ctlRunMain(t, m, Scalar(cond), vec[float32](1, 2))
		want := "f32[3] [7 8 9]"
		if cond {
			want = "f32[2] [2 4]"
		}
		if got := out[0].(*Tensor).String(); got != want {
			t.Errorf("cond %v: got %s, want %s", cond, got, want)
		}
	}
}

func TestAxisCopies(t *testing.T) {
	x := FromSlice([]int{2, 3}, []int32{1, 2, 3, 4, 5, 6})
	parts, err := seqSplitAxis(x, 1, []int{1, 2}, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := parts[0].String() + " | " + parts[1].String(); got != "i32[2 1] [1 4] | i32[2 2] [2 3 5 6]" {
		t.Errorf("split: %s", got)
	}
	back, err := seqConcatAxis(parts, 1)
	if err != nil || back.String() != x.String() {
		t.Errorf("concat: %v, %v", back, err)
	}
	rows, err := seqSplitAxis(x, 0, []int{1, 1}, true)
	if err != nil {
		t.Fatal(err)
	}
	st, err := seqStackAxis(rows, 1)
	if err != nil || st.String() != "i32[3 2] [1 4 2 5 3 6]" {
		t.Errorf("stack: %v, %v", st, err)
	}
	if _, err := seqSplitAxis(x, 1, []int{1, 1}, false); err == nil {
		t.Error("split sizes not summing to the axis: no error")
	}
	if _, err := seqConcatAxis([]*Tensor{x, FromSlice([]int{3, 2}, []int32{1, 2, 3, 4, 5, 6})}, 1); err == nil {
		t.Error("concat of mismatched shapes: no error")
	}
}
