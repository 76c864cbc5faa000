package ir

import (
	"fmt"
	"math"
)

// Resize follows ONNX Resize-19: scales or sizes pick the output shape, and
// the attributes pick how an output coordinate maps back to the input and
// how the input is sampled there. Resize-18 added antialias, axes and
// keep_aspect_ratio_policy, Resize-19 half_pixel_symmetric; the importer
// refuses them at older opsets.
func init() {
	Register(&OpDef{
		Name: "Resize", Doc: "resamples X to new spatial sizes (nearest, linear or cubic interpolation)",
		Kind: Opaque, Inputs: []Operand{Req("X:T1"), Opt("roi:T2"), Opt("scales:F"), Opt("sizes:I")}, Outputs: In("Y:T1"),
		Types: []TypeConstraint{TC("T1", AllTypes), TC("T2", FloatNoBF16), TC("F", Types(F32)), TC("I", I64Type)},
		Attrs: []AttrDef{
			// tf_half_pixel_for_nn is spelled as ONNX's backend tests and
			// models of Resize-11/-13 spell it (ONNX dropped it in 18).
			AEnum("coordinate_transformation_mode", "half_pixel", "half_pixel", "half_pixel_symmetric", "pytorch_half_pixel",
				"align_corners", "asymmetric", "tf_half_pixel_for_nn", "tf_crop_and_resize"),
			ABool("antialias", 0),
			AInts("axes"),
			AEnum("keep_aspect_ratio_policy", "stretch", "stretch", "not_larger", "not_smaller"),
			AFloat("cubic_coeff_a", -0.75),
			ABool("exclude_outside", 0),
			AFloat("extrapolation_value", 0),
			AEnum("mode", "nearest", "nearest", "linear", "cubic"),
			AEnum("nearest_mode", "round_prefer_floor", "round_prefer_floor", "round_prefer_ceil", "floor", "ceil"),
		},
		Infer: inferResize,
	})
}

// ResizeOutDim is the output size for an input dim and scale: ONNX takes
// floor(dim * scale).
func ResizeOutDim(dim int64, scale float64) int64 {
	return int64(math.Floor(float64(dim) * scale))
}

// resizeDim is ResizeOutDim for an expression: floor(dim*scale) is dim*k
// for an integer scale k and dim/k for a scale 1/k with k a power of two
// (the only reciprocals whose float product is exact); other scales give
// an unknown dim.
func resizeDim(dim Dim, scale float64) Dim {
	if scale >= 1 && scale <= 1<<20 && scale == math.Floor(scale) {
		return dim.Mul(Static(int64(scale)))
	}
	if scale > 0 && scale < 1 {
		k := 1 / scale
		if k <= 1<<20 && k == math.Floor(k) && int64(k)&(int64(k)-1) == 0 {
			return dim.FloorDiv(Static(int64(k)))
		}
	}
	return Unknown()
}

// ResizeShape computes Resize's output shape and per-axis scales from the
// input shape in and the scales or sizes operand (one of them nil), which
// give the axes listed in axes (nil: every axis), under
// keep_aspect_ratio_policy policy (Resize-18): not_larger and not_smaller
// use one scale, the smallest or largest sizes[i]/in[axes[i]], rounded
// half up to each listed axis. Unlisted axes keep their size and scale 1.
func ResizeShape(in []int64, scales []float64, sizes []int64, axes []int64, policy string) ([]int64, []float64, error) {
	r := len(in)
	if axes == nil {
		axes = make([]int64, r)
		for i := range axes {
			axes[i] = int64(i)
		}
	}
	ax := make([]int, len(axes))
	seen := make([]bool, r)
	for i, a := range axes {
		n, err := NormAxis(a, r)
		if err != nil {
			return nil, nil, fmt.Errorf("axes: %w", err)
		}
		if seen[n] {
			return nil, nil, fmt.Errorf("axes: axis %d given twice", a)
		}
		seen[n], ax[i] = true, n
	}
	out := append([]int64{}, in...)
	sc := make([]float64, r)
	for i := range sc {
		sc[i] = 1
	}
	switch {
	case scales != nil:
		if len(scales) != len(ax) {
			return nil, nil, fmt.Errorf("scales has %d entries for %d axes", len(scales), len(ax))
		}
		for i, a := range ax {
			if !(scales[i] > 0) || math.IsInf(scales[i], 0) {
				return nil, nil, fmt.Errorf("scales[%d] is %v", i, scales[i])
			}
			sc[a], out[a] = scales[i], ResizeOutDim(in[a], scales[i])
		}
	case sizes != nil:
		if len(sizes) != len(ax) {
			return nil, nil, fmt.Errorf("sizes has %d entries for %d axes", len(sizes), len(ax))
		}
		for i, a := range ax {
			if sizes[i] < 0 {
				return nil, nil, fmt.Errorf("sizes[%d] is %d", i, sizes[i])
			}
			out[a], sc[a] = sizes[i], float64(sizes[i])/float64(in[a])
		}
		if policy == "not_larger" || policy == "not_smaller" {
			s := sc[ax[0]]
			for _, a := range ax[1:] {
				if policy == "not_larger" {
					s = min(s, sc[a])
				} else {
					s = max(s, sc[a])
				}
			}
			if math.IsInf(s, 0) || math.IsNaN(s) {
				return nil, nil, fmt.Errorf("sizes %v give no aspect-preserving scale for %v", sizes, in)
			}
			for _, a := range ax {
				sc[a], out[a] = s, int64(math.Floor(s*float64(in[a])+0.5))
			}
		}
	default:
		return nil, nil, fmt.Errorf("neither scales nor sizes given")
	}
	return out, sc, nil
}

func inferResize(op *Op) ([]Type, error) {
	x, err := inferOperand(op, 0)
	if err != nil {
		return nil, err
	}
	switch m := op.Str("mode"); m {
	case "nearest", "linear", "cubic":
	default:
		return nil, fmt.Errorf("unknown mode %q", m)
	}
	s := x.Type.Shape
	d := x.Type.DType
	if !s.Ranked {
		// The rank still follows from the length of sizes or scales.
		if dims, ok := shapeOperandDims(op.Arg(3)); ok && len(dims) > 0 {
			return []Type{TensorType(d, Shape{Ranked: true, Dims: dims})}, nil
		}
		if sc := op.Arg(2); sc != nil && sc.Type.Shape.Rank() == 1 && sc.Type.Shape.Dims[0].IsStatic() && sc.Type.Shape.Dims[0].Size > 0 {
			return []Type{TensorType(d, unknownDimsUpTo(sc.Type.Shape.Dims[0].Size))}, nil
		}
		return []Type{x.Type}, nil
	}
	r := len(s.Dims)
	if op.Has("axes") || op.Str("keep_aspect_ratio_policy") != "stretch" {
		// Resize-18's forms: static when the input shape and the scales
		// or sizes are.
		in, okIn := s.Sizes()
		var scales []float64
		var sizes []int64
		ok := false
		if sz := op.Arg(3); sz != nil {
			sizes, ok = ConstInts(sz)
		} else if sc := op.Arg(2); sc != nil {
			scales, ok = ConstFloats(sc)
		}
		if okIn && ok {
			var axes []int64
			if op.Has("axes") {
				axes = op.Ints("axes")
			}
			out, _, err := ResizeShape(in, scales, sizes, axes, op.Str("keep_aspect_ratio_policy"))
			if err != nil {
				return nil, err
			}
			return []Type{TensorType(d, ShapeOf(out...))}, nil
		}
		return []Type{TensorType(d, UnknownDims(r))}, nil
	}
	if sz := op.Arg(3); sz != nil {
		dims, ok := shapeOperandDims(sz)
		if ok && len(dims) == r {
			return []Type{TensorType(d, Shape{Ranked: true, Dims: dims})}, nil
		}
		if ok && len(dims) != 0 {
			return nil, fmt.Errorf("sizes has %d entries for rank %d", len(dims), r)
		}
	}
	if sc := op.Arg(2); sc != nil {
		scales, ok := ConstFloats(sc)
		if ok && len(scales) == r {
			out := s.Clone()
			for i, f := range scales {
				if f == 1 {
					continue
				}
				if s.Dims[i].IsStatic() {
					out.Dims[i] = Static(ResizeOutDim(s.Dims[i].Size, f))
				} else {
					out.Dims[i] = resizeDim(s.Dims[i], f)
				}
			}
			return []Type{TensorType(d, out)}, nil
		}
		if ok && len(scales) != 0 {
			return nil, fmt.Errorf("scales has %d entries for rank %d", len(scales), r)
		}
	}
	return []Type{TensorType(d, UnknownDims(r))}, nil
}
