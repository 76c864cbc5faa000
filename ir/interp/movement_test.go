package interp

import (
	"reflect"
	"strings"
	"testing"

	"github.com/kiln-ml/kiln/ir"
)

func movementTestOp(name string, nres int, attrs ...ir.Attr) *ir.Op {
	op := &ir.Op{Name: name, Results: make([]*ir.Value, nres)}
	op.SetAttrs(attrs)
	return op
}

// TestMovementDTypes runs the data-movement kernels on strings and bools,
// which have no arithmetic and so exercise the generic paths.
func TestMovementDTypes(t *testing.T) {
	strs := FromSlice([]int{2, 3}, []string{"a", "b", "c", "d", "e", "f"})
	bools := FromSlice([]int{2, 2}, []bool{true, false, false, true})
	cases := []struct {
		name      string
		k         Kernel
		op        *ir.Op
		args      []Value
		wantShape []int
		want      any
	}{
		{"transpose strings", kernelTranspose, movementTestOp("Transpose", 1), []Value{strs},
			[]int{3, 2}, []string{"a", "d", "b", "e", "c", "f"}},
		{"concat strings axis 0", kernelConcat, movementTestOp("Concat", 1, ir.Attr{Name: "axis", Value: ir.IntAttr(0)}), []Value{strs, strs},
			[]int{4, 3}, []string{"a", "b", "c", "d", "e", "f", "a", "b", "c", "d", "e", "f"}},
		{"slice strings negative step", kernelSlice, movementTestOp("Slice", 1), []Value{strs, vec[int64](-1), vec[int64](-1 << 62), vec[int64](1), vec[int64](-2)},
			[]int{2, 2}, []string{"c", "a", "f", "d"}},
		{"gather strings negative index", kernelGather, movementTestOp("Gather", 1, ir.Attr{Name: "axis", Value: ir.IntAttr(1)}), []Value{strs, vec[int64](-1, 0)},
			[]int{2, 2}, []string{"c", "a", "f", "d"}},
		{"pad strings constant", kernelPad, movementTestOp("Pad", 1), []Value{strs, vec[int64](0, 1, 0, 0), Scalar("_")},
			[]int{2, 4}, []string{"_", "a", "b", "c", "_", "d", "e", "f"}},
		{"pad strings reflect", kernelPad, movementTestOp("Pad", 1, ir.Attr{Name: "mode", Value: ir.StringAttr("reflect")}), []Value{strs, vec[int64](0, 2, 0, 2), nil},
			[]int{2, 7}, []string{"c", "b", "a", "b", "c", "b", "a", "f", "e", "d", "e", "f", "e", "d"}},
		// Pad-19 wrap, a pad wider than the dim repeating periodically
		// (numpy's wrap), and Pad-18's axes as int32.
		{"pad strings wrap wide", kernelPad, movementTestOp("Pad", 1, ir.Attr{Name: "mode", Value: ir.StringAttr("wrap")}), []Value{strs, vec[int64](0, 4, 0, 1), nil},
			[]int{2, 8}, []string{"c", "a", "b", "c", "a", "b", "c", "a", "f", "d", "e", "f", "d", "e", "f", "d"}},
		{"pad strings wrap cropped", kernelPad, movementTestOp("Pad", 1, ir.Attr{Name: "mode", Value: ir.StringAttr("wrap")}), []Value{strs, vec[int64](-1, 2), nil, FromSlice([]int{1}, []int32{1})},
			[]int{2, 4}, []string{"b", "c", "b", "c", "e", "f", "e", "f"}},
		{"split uneven num_outputs", kernelSplit, movementTestOp("Split", 2, ir.Attr{Name: "axis", Value: ir.IntAttr(1)}, ir.Attr{Name: "num_outputs", Value: ir.IntAttr(2)}), []Value{strs, nil},
			[]int{2, 2}, []string{"a", "b", "d", "e"}},
		{"tile bools", kernelTile, movementTestOp("Tile", 1), []Value{bools, vec[int64](1, 2)},
			[]int{2, 4}, []bool{true, false, true, false, false, true, false, true}},
		{"expand bools", kernelExpand, movementTestOp("Expand", 1), []Value{FromSlice([]int{2, 1}, []bool{true, false}), vec[int64](2, 3)},
			[]int{2, 3}, []bool{true, true, true, false, false, false}},
		{"trilu bools lower", kernelTrilu, movementTestOp("Trilu", 1, ir.Attr{Name: "upper", Value: ir.IntAttr(0)}), []Value{FromSlice([]int{2, 2}, []bool{true, true, true, true}), nil},
			[]int{2, 2}, []bool{true, false, true, true}},
		{"unique strings unsorted", kernelUnique, movementTestOp("Unique", 4, ir.Attr{Name: "sorted", Value: ir.IntAttr(0)}), []Value{FromSlice([]int{4}, []string{"b", "a", "b", "c"})},
			[]int{3}, []string{"b", "a", "c"}},
		{"reverse sequence strings", kernelReverseSequence, movementTestOp("ReverseSequence", 1, ir.Attr{Name: "batch_axis", Value: ir.IntAttr(0)}, ir.Attr{Name: "time_axis", Value: ir.IntAttr(1)}),
			[]Value{strs, vec[int64](2, 3)}, []int{2, 3}, []string{"b", "a", "c", "f", "e", "d"}},
		{"compress strings flat", kernelCompress, movementTestOp("Compress", 1), []Value{strs, FromSlice([]int{3}, []bool{false, true, true})},
			[]int{2}, []string{"b", "c"}},
		{"depth to space CRD", kernelDepthToSpace, movementTestOp("DepthToSpace", 1, ir.Attr{Name: "blocksize", Value: ir.IntAttr(2)}, ir.Attr{Name: "mode", Value: ir.StringAttr("CRD")}),
			[]Value{FromSlice([]int{1, 4, 1, 1}, []string{"w", "x", "y", "z"})}, []int{1, 1, 2, 2}, []string{"w", "x", "y", "z"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := c.k(nil, c.op, c.args)
			if err != nil {
				t.Fatal(err)
			}
			y := out[0].(*Tensor)
			if !reflect.DeepEqual(y.Shape, c.wantShape) || !reflect.DeepEqual(y.Data, c.want) {
				t.Errorf("got %v %v, want %v %v", y.Shape, y.Data, c.wantShape, c.want)
			}
		})
	}
}

// TestMovementErrors checks that bad operands are errors naming the
// problem, not panics.
func TestMovementErrors(t *testing.T) {
	x := FromSlice([]int{2, 3}, []float32{1, 2, 3, 4, 5, 6})
	cases := []struct {
		name string
		k    Kernel
		op   *ir.Op
		args []Value
		want string
	}{
		{"reshape count", kernelReshape, movementTestOp("Reshape", 1), []Value{x, vec[int64](4, 2)}, "cannot reshape"},
		{"reshape two -1", kernelReshape, movementTestOp("Reshape", 1), []Value{x, vec[int64](-1, -1)}, "more than one -1"},
		{"gather index", kernelGather, movementTestOp("Gather", 1), []Value{x, vec[int64](2)}, "out of range"},
		{"gather float indices", kernelGather, movementTestOp("Gather", 1), []Value{x, x}, "integer"},
		{"gatherelements index", kernelGatherElements, movementTestOp("GatherElements", 1), []Value{x, FromSlice([]int{1, 1}, []int64{-3})}, "out of range"},
		{"scatternd updates", kernelScatterND, movementTestOp("ScatterND", 1), []Value{x, FromSlice([]int{1, 1}, []int64{0}), x}, "updates have shape"},
		{"squeeze non-1", kernelSqueeze, movementTestOp("Squeeze", 1), []Value{x, vec[int64](0)}, "cannot squeeze"},
		{"unsqueeze axis", kernelUnsqueeze, movementTestOp("Unsqueeze", 1), []Value{x, vec[int64](5)}, "out of range"},
		{"concat dims", kernelConcat, movementTestOp("Concat", 1, ir.Attr{Name: "axis", Value: ir.IntAttr(0)}), []Value{x, FromSlice([]int{1, 2}, []float32{1, 2})}, "differ"},
		{"split sizes", kernelSplit, movementTestOp("Split", 2, ir.Attr{Name: "axis", Value: ir.IntAttr(1)}), []Value{x, vec[int64](1, 1)}, "does not divide"},
		{"slice zero step", kernelSlice, movementTestOp("Slice", 1), []Value{x, vec[int64](0), vec[int64](1), nil, vec[int64](0)}, "steps[0] is 0"},
		{"pad length", kernelPad, movementTestOp("Pad", 1), []Value{x, vec[int64](1, 1)}, "pads has"},
		{"pad crop", kernelPad, movementTestOp("Pad", 1), []Value{x, vec[int64](0, -2, 0, -2)}, "below zero"},
		{"col2im block count", kernelCol2Im, movementTestOp("Col2Im", 1), []Value{FromSlice([]int{1, 4, 3}, make([]float32, 12)), vec[int64](3, 3), vec[int64](2, 2)}, "block count"},
		{"col2im shapes", kernelCol2Im, movementTestOp("Col2Im", 1), []Value{FromSlice([]int{1, 4, 3}, make([]float32, 12)), vec[int64](3, 3), vec[int64](2)}, "equal-length"},
		{"centercroppad sizes", kernelCenterCropPad, movementTestOp("CenterCropPad", 1), []Value{x, vec[int64](1)}, "1 sizes for rank 2"},
		{"centercroppad negative", kernelCenterCropPad, movementTestOp("CenterCropPad", 1), []Value{x, vec[int64](1, -1)}, "shape[1] is -1"},
		{"tensorscatter linear overflow", kernelTensorScatter, movementTestOp("TensorScatter", 1, ir.Attr{Name: "axis", Value: ir.IntAttr(1)}), []Value{x, FromSlice([]int{2, 2}, []float32{1, 2, 3, 4}), vec[int64](0, 2)}, "lands outside"},
		{"tensorscatter batch axis", kernelTensorScatter, movementTestOp("TensorScatter", 1, ir.Attr{Name: "axis", Value: ir.IntAttr(0)}), []Value{x, x, nil}, "batch dim"},
		{"pad axes length", kernelPad, movementTestOp("Pad", 1), []Value{x, vec[int64](1, 1, 1, 1), nil, vec[int64](1)}, "for 1 axes"},
		{"pad axes twice", kernelPad, movementTestOp("Pad", 1), []Value{x, vec[int64](1, 1, 1, 1), nil, vec[int64](1, -1)}, "given twice"},
		{"pad wrap cropped away", kernelPad, movementTestOp("Pad", 1, ir.Attr{Name: "mode", Value: ir.StringAttr("wrap")}), []Value{x, vec[int64](-3, 3), nil, vec[int64](1)}, "cropped to nothing"},
		{"split uneven without num_outputs", kernelSplit, movementTestOp("Split", 2, ir.Attr{Name: "axis", Value: ir.IntAttr(1)}), []Value{FromSlice([]int{1, 3}, []float32{1, 2, 3}), nil}, "equal parts"},
		{"split num_outputs too many", kernelSplit, movementTestOp("Split", 4, ir.Attr{Name: "axis", Value: ir.IntAttr(1)}, ir.Attr{Name: "num_outputs", Value: ir.IntAttr(4)}), []Value{FromSlice([]int{1, 5}, []float32{1, 2, 3, 4, 5}), nil}, "smaller last"},
		{"tile negative", kernelTile, movementTestOp("Tile", 1), []Value{x, vec[int64](1, -1)}, "repeats[1]"},
		{"expand incompatible", kernelExpand, movementTestOp("Expand", 1), []Value{x, vec[int64](2, 4)}, "broadcast"},
		{"topk k", kernelTopK, movementTestOp("TopK", 2), []Value{x, vec[int64](4)}, "out of range"},
		{"depth to space channels", kernelDepthToSpace, movementTestOp("DepthToSpace", 1, ir.Attr{Name: "blocksize", Value: ir.IntAttr(2)}), []Value{FromSlice([]int{1, 3, 1, 1}, []float32{1, 2, 3})}, "divisible"},
		{"onehot depth", kernelOneHot, movementTestOp("OneHot", 1), []Value{vec[int64](0), vec[int64](0), FromSlice([]int{2}, []float32{0, 1})}, "depth"},
		{"range zero delta", kernelRange, movementTestOp("Range", 1), []Value{Scalar(int64(0)), Scalar(int64(5)), Scalar(int64(0))}, "delta is zero"},
		{"reverse sequence lens", kernelReverseSequence, movementTestOp("ReverseSequence", 1), []Value{x, vec[int64](1, 2)}, "sequence_lens"},
		{"cumsum strings", kernelCumSum, movementTestOp("CumSum", 1), []Value{FromSlice([]int{1}, []string{"a"}), vec[int64](0)}, "does not support"},
		{"resize no scales", kernelResize, movementTestOp("Resize", 1), []Value{x, nil, nil, nil}, "neither scales nor sizes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.k(nil, c.op, c.args)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestResizeNearestStrings(t *testing.T) {
	x := FromSlice([]int{1, 2}, []string{"a", "b"})
	op := movementTestOp("Resize", 1,
		ir.Attr{Name: "coordinate_transformation_mode", Value: ir.StringAttr("asymmetric")},
		ir.Attr{Name: "nearest_mode", Value: ir.StringAttr("floor")})
	out, err := kernelResize(nil, op, []Value{x, nil, FromSlice([]int{2}, []float32{2, 2}), nil})
	if err != nil {
		t.Fatal(err)
	}
	y := out[0].(*Tensor)
	if want := []string{"a", "a", "b", "b", "a", "a", "b", "b"}; !reflect.DeepEqual(y.Data, want) || !reflect.DeepEqual(y.Shape, []int{2, 4}) {
		t.Errorf("got %v, want [2 4] %v", y, want)
	}
}

func TestHugeOutputsAreErrors(t *testing.T) {
	x := FromSlice([]int{2}, []float32{1, 2})
	for _, c := range []struct {
		name string
		k    Kernel
		op   *ir.Op
		args []Value
	}{
		{"constantofshape", kernelConstantOfShape, movementTestOp("ConstantOfShape", 1), []Value{vec[int64](1<<20, 1<<20)}},
		{"expand", kernelExpand, movementTestOp("Expand", 1), []Value{x, vec[int64](1<<31, 1<<31, 2)}},
		{"tile", kernelTile, movementTestOp("Tile", 1), []Value{x, vec[int64](1 << 40)}},
		{"pad", kernelPad, movementTestOp("Pad", 1), []Value{x, vec[int64](0, 1<<40)}},
	} {
		if _, err := c.k(nil, c.op, c.args); err == nil || !strings.Contains(err.Error(), "too large") {
			t.Errorf("%s: error %v, want too large", c.name, err)
		}
	}
}
