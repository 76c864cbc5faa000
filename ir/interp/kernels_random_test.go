package interp

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/kiln-ml/kiln/ir"
)

// movementKernels lists the kernels of the tensor family that
// TestMovementKernelsRandom throws random operands and attributes at.
var movementKernels = []string{"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Transpose", "Concat", "Split",
	"Expand", "Tile", "Shape", "Size", "ConstantOfShape", "Pad", "DepthToSpace", "SpaceToDepth", "Slice",
	"Gather", "GatherElements", "GatherND", "ScatterElements", "ScatterND", "Trilu", "EyeLike", "NonZero",
	"Compress", "ReverseSequence", "OneHot", "TopK", "Unique", "CumSum", "Range", "Resize"}

// TestMovementKernelsRandom feeds the family's kernels small random
// operands (including extreme integers, NaN and Inf) and random attributes:
// every outcome must be a result or an error, never a panic.
func TestMovementKernelsRandom(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	randShape := func() []int {
		r := rng.Intn(4)
		s := make([]int, r)
		for i := range s {
			s[i] = rng.Intn(4)
		}
		return s
	}
	randF := func(s []int) *Tensor {
		n := NumElements(s)
		d := make([]float32, n)
		for i := range d {
			d[i] = float32(rng.Intn(5) - 2)
			if rng.Intn(10) == 0 {
				d[i] = []float32{float32(math.NaN()), float32(math.Inf(1)), 1e30, 0.3}[rng.Intn(4)]
			}
		}
		return FromSlice(s, d)
	}
	randI := func() *Tensor {
		n := rng.Intn(5)
		d := make([]int64, n)
		for i := range d {
			d[i] = int64(rng.Intn(9) - 4)
			if rng.Intn(10) == 0 {
				d[i] = []int64{math.MaxInt64, math.MinInt64, 1 << 40, -(1 << 40)}[rng.Intn(4)]
			}
		}
		if rng.Intn(4) == 0 && n > 0 {
			return FromSlice(nil, d[:1])
		}
		return FromSlice([]int{n}, d)
	}
	randIdx := func() *Tensor {
		s := randShape()
		n := NumElements(s)
		d := make([]int64, n)
		for i := range d {
			d[i] = int64(rng.Intn(7) - 3)
		}
		return FromSlice(s, d)
	}
	names := movementKernels
	for iter := 0; iter < 20000; iter++ {
		name := names[rng.Intn(len(names))]
		k := kernels[name]
		nres := 1 + rng.Intn(3)
		op := &ir.Op{Name: name, Results: make([]*ir.Value, nres)}
		var attrs []ir.Attr
		for _, a := range []string{"axis", "batch_dims", "blocksize", "k", "upper", "largest", "sorted", "exclusive", "reverse", "time_axis", "batch_axis", "allowzero", "start", "end"} {
			if rng.Intn(3) == 0 {
				attrs = append(attrs, ir.Attr{Name: a, Value: ir.IntAttr(int64(rng.Intn(7) - 3))})
			}
		}
		if rng.Intn(3) == 0 {
			attrs = append(attrs, ir.Attr{Name: "perm", Value: ir.IntsAttr([]int64{int64(rng.Intn(3)), int64(rng.Intn(3))})})
		}
		modes := []string{"constant", "reflect", "edge", "nearest", "linear", "cubic", "DCR", "CRD", "bogus"}
		if rng.Intn(2) == 0 {
			attrs = append(attrs, ir.Attr{Name: "mode", Value: ir.StringAttr(modes[rng.Intn(len(modes))])})
		}
		reds := []string{"none", "add", "mul", "max", "bogus"}
		if rng.Intn(2) == 0 {
			attrs = append(attrs, ir.Attr{Name: "reduction", Value: ir.StringAttr(reds[rng.Intn(len(reds))])})
		}
		ctms := []string{"half_pixel", "asymmetric", "align_corners", "tf_crop_and_resize", "pytorch_half_pixel", "tf_half_pixel_for_nn"}
		attrs = append(attrs, ir.Attr{Name: "coordinate_transformation_mode", Value: ir.StringAttr(ctms[rng.Intn(len(ctms))])})
		if rng.Intn(2) == 0 {
			attrs = append(attrs, ir.Attr{Name: "exclude_outside", Value: ir.IntAttr(1)})
		}
		op.SetAttrs(attrs)
		nargs := 1 + rng.Intn(5)
		args := make([]Value, nargs)
		for i := range args {
			switch rng.Intn(5) {
			case 0:
				args[i] = nil
			case 1, 2:
				if i == 0 {
					args[i] = randF(randShape())
				} else {
					args[i] = randI()
				}
			case 3:
				args[i] = randIdx()
			default:
				args[i] = randF(randShape())
			}
		}
		if args[0] == nil {
			args[0] = randF(randShape())
		}
		// The data operand in another element type now and then.
		if x, ok := args[0].(*Tensor); ok && x.DType == ir.F32 && rng.Intn(3) == 0 {
			args[0] = retypeForTest(x, []ir.DType{ir.String, ir.Bool, ir.F16, ir.I32, ir.U8, ir.F64}[rng.Intn(6)])
		}
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("%s attrs %v args %v: panic %v", name, attrs, fmt.Sprint(args), r)
				}
			}()
			k(nil, op, args)
		}()
		if t.Failed() {
			return
		}
	}
}

// retypeForTest converts a float32 tensor to dtype d (strings spell the
// numbers).
func retypeForTest(x *Tensor, d ir.DType) *Tensor {
	f := Data[float32](x)
	if d == ir.String {
		out := make([]string, len(f))
		for i, v := range f {
			out[i] = fmt.Sprint(v)
		}
		return FromSlice(x.Shape, out)
	}
	v := make([]float64, len(f))
	for i, e := range f {
		v[i] = float64(e)
	}
	t, err := tensorFromFloat64(d, x.Shape, v)
	if err != nil {
		panic(err)
	}
	return t
}
