package ir

import "fmt"

// Pooling and sampling ops, at their opset-17 ONNX forms (MaxPool-12,
// Global*Pool, MaxUnpool-11, MaxRoiPool-1, RoiAlign-16, GridSample-16)
// or later (AveragePool-19 with dilations, LpPool-18 with ceil_mode and
// dilations; the importer refuses those attributes at older opsets).

func init() {
	// AffineGrid-20: the sampling grid GridSample reads, from affine
	// matrices.
	Register(&OpDef{
		Name:    "AffineGrid",
		Doc:     "sampling grid [N,H,W,2] (or [N,D,H,W,3]) of theta [N,2,3] (or [N,3,4]) applied to normalized output coordinates",
		Kind:    Opaque,
		Inputs:  In("theta:T1", "size:T2"),
		Outputs: In("grid:T1"),
		Types:   []TypeConstraint{TC("T1", FloatTypes), TC("T2", I64Type)},
		Attrs:   []AttrDef{ABool("align_corners", 0)},
		Infer: func(op *Op) ([]Type, error) {
			th, err := nnTensorArg(op, 0)
			if err != nil {
				return nil, err
			}
			sz, ok := KnownInts(op.Arg(1))
			if !ok {
				return []Type{TensorType(th.DType, UnrankedShape())}, nil
			}
			if len(sz) != 4 && len(sz) != 5 {
				return nil, fmt.Errorf("size has %d entries, want 4 (N,C,H,W) or 5 (N,C,D,H,W)", len(sz))
			}
			dims := []int64{sz[0]}
			dims = append(dims, sz[2:]...)
			dims = append(dims, int64(len(sz)-2))
			for _, d := range dims {
				if d < 0 {
					return nil, fmt.Errorf("size %v is negative", sz)
				}
			}
			return []Type{TensorType(th.DType, ShapeOf(dims...))}, nil
		},
	})
	Register(&OpDef{
		Name:    "AveragePool",
		Doc:     "N-D average pooling; count_include_pad decides whether padding counts in the divisor",
		Kind:    Opaque,
		Inputs:  In("X:T"),
		Outputs: In("Y:T"),
		Types:   []TypeConstraint{TC("T", FloatNoBF16)},
		Attrs: []AttrDef{autoPad(), ABool("ceil_mode", 0), ABool("count_include_pad", 0), AInts("dilations").AtLeast(1),
			ARequired("kernel_shape", AttrInts).AtLeast(1), AInts("pads").AtLeast(0), AInts("strides").AtLeast(1)},
		Infer: inferPool,
	})
	Register(&OpDef{
		Name:    "MaxPool",
		Doc:     "N-D max pooling with dilations, and optionally the flat input index of each maximum",
		Kind:    Opaque,
		Inputs:  In("X:T"),
		Outputs: []Operand{Req("Y:T"), Opt("Indices:I")},
		// MaxPool-12 also takes 8-bit integers.
		Types: []TypeConstraint{TC("T", FloatNoBF16|QuantTypes), TC("I", I64Type)},
		Attrs: []AttrDef{autoPad(), ABool("ceil_mode", 0), AInts("dilations").AtLeast(1),
			ARequired("kernel_shape", AttrInts).AtLeast(1), AInts("pads").AtLeast(0), ABool("storage_order", 0),
			AInts("strides").AtLeast(1)},
		Infer: func(op *Op) ([]Type, error) {
			ts, err := inferPool(op)
			if err != nil {
				return nil, err
			}
			return []Type{ts[0], TensorType(I64, ts[0].Shape)}, nil
		},
	})
	Register(&OpDef{
		Name:    "LpPool",
		Doc:     "N-D Lp pooling: the p-norm of each window",
		Kind:    Opaque,
		Inputs:  In("X:T"),
		Outputs: In("Y:T"),
		Types:   []TypeConstraint{TC("T", FloatNoBF16)},
		Attrs: []AttrDef{autoPad(), ABool("ceil_mode", 0), AInts("dilations").AtLeast(1),
			ARequired("kernel_shape", AttrInts).AtLeast(1), AInt("p", 2), AInts("pads").AtLeast(0), AInts("strides").AtLeast(1)},
		Infer: inferPool,
	})
	for _, g := range []struct{ name, doc string }{
		{"GlobalAveragePool", "mean over all spatial dims, keeping them as size 1"},
		{"GlobalMaxPool", "max over all spatial dims, keeping them as size 1"},
		{"GlobalLpPool", "p-norm over all spatial dims, keeping them as size 1"},
	} {
		// Opaque rather than Reduction: the reduced axes are implied by
		// the rank, not given by an axes operand as the Reduce* ops do.
		d := &OpDef{Name: g.name, Doc: g.doc, Kind: Opaque, Inputs: In("X:T"), Outputs: In("Y:T"),
			Types: []TypeConstraint{TC("T", FloatNoBF16)}, Infer: inferGlobalPool}
		if g.name == "GlobalLpPool" {
			d.Attrs = []AttrDef{AInt("p", 2)}
		}
		Register(d)
	}
	Register(&OpDef{
		Name:    "MaxUnpool",
		Doc:     "scatters pooled values back to the positions MaxPool's Indices name; zeros elsewhere",
		Kind:    Opaque,
		Inputs:  []Operand{Req("X:T1"), Req("I:T2"), Opt("output_shape:T2")},
		Outputs: In("output:T1"),
		Types:   []TypeConstraint{TC("T1", FloatNoBF16), TC("T2", I64Type)},
		Attrs: []AttrDef{ARequired("kernel_shape", AttrInts).AtLeast(1), AInts("pads").AtLeast(0),
			AInts("strides").AtLeast(1)},
		Infer: inferMaxUnpool,
	})
	Register(&OpDef{
		Name:    "MaxRoiPool",
		Doc:     "max pooling over regions of interest (x1, y1, x2, y2 scaled by spatial_scale) into pooled_shape bins",
		Kind:    Opaque,
		Inputs:  In("X:T", "rois:T"),
		Outputs: In("Y:T"),
		Types:   []TypeConstraint{TC("T", FloatNoBF16)},
		Attrs:   []AttrDef{ARequired("pooled_shape", AttrInts).AtLeast(1), AFloat("spatial_scale", 1)},
		Infer: func(op *Op) ([]Type, error) {
			ps := op.Ints("pooled_shape")
			if len(ps) != 2 {
				return nil, fmt.Errorf("pooled_shape has %d values, want 2", len(ps))
			}
			return inferRoi(op, Static(ps[0]), Static(ps[1]))
		},
	})
	Register(&OpDef{
		Name:    "RoiAlign",
		Doc:     "bilinearly sampled average or max over regions of interest, per batch_indices image",
		Kind:    Opaque,
		Inputs:  In("X:T1", "rois:T1", "batch_indices:T2"),
		Outputs: In("Y:T1"),
		Types:   []TypeConstraint{TC("T1", FloatNoBF16), TC("T2", I64Type)},
		Attrs: []AttrDef{AEnum("coordinate_transformation_mode", "half_pixel", "half_pixel", "output_half_pixel"),
			AEnum("mode", "avg", "avg", "max"), AInt("output_height", 1).AtLeast(1), AInt("output_width", 1).AtLeast(1),
			AInt("sampling_ratio", 0).AtLeast(0), AFloat("spatial_scale", 1)},
		Infer: func(op *Op) ([]Type, error) {
			return inferRoi(op, Static(op.Int("output_height")), Static(op.Int("output_width")))
		},
	})
	Register(&OpDef{
		Name:    "GridSample",
		Doc:     "samples X [N,C,H,W] at the normalized (x, y) positions of grid [N,Ho,Wo,2]",
		Kind:    Opaque,
		Inputs:  In("X:T1", "grid:T2"),
		Outputs: In("Y:T1"),
		// GridSample-16 samples any element type at float positions.
		Types: []TypeConstraint{TC("T1", AllTypes), TC("T2", FloatNoBF16)},
		Attrs: []AttrDef{ABool("align_corners", 0), AEnum("mode", "bilinear", "bilinear", "nearest", "bicubic"),
			AEnum("padding_mode", "zeros", "zeros", "border", "reflection")},
		Infer: func(op *Op) ([]Type, error) {
			x, err := nnTensorArg(op, 0)
			if err != nil {
				return nil, err
			}
			g, err := nnTensorArg(op, 1)
			if err != nil {
				return nil, err
			}
			out := UnknownDims(4)
			if x.Shape.Ranked {
				if len(x.Shape.Dims) != 4 {
					return nil, fmt.Errorf("X has rank %d, want 4", len(x.Shape.Dims))
				}
				out.Dims[0], out.Dims[1] = x.Shape.Dims[0], x.Shape.Dims[1]
			}
			if g.Shape.Ranked {
				if len(g.Shape.Dims) != 4 {
					return nil, fmt.Errorf("grid has rank %d, want 4", len(g.Shape.Dims))
				}
				out.Dims[2], out.Dims[3] = g.Shape.Dims[1], g.Shape.Dims[2]
			}
			return []Type{TensorType(x.DType, out)}, nil
		},
	})
}

func inferPool(op *Op) ([]Type, error) {
	x, err := nnTensorArg(op, 0)
	if err != nil {
		return nil, err
	}
	c := Unknown()
	if x.Shape.Ranked && len(x.Shape.Dims) > 1 {
		c = x.Shape.Dims[1]
	}
	s, err := inferWindowed(op, x.Shape, c, op.Ints("kernel_shape"), op.Declares("ceil_mode") && op.Int("ceil_mode") != 0)
	if err != nil {
		return nil, err
	}
	return []Type{TensorType(x.DType, s)}, nil
}

func inferGlobalPool(op *Op) ([]Type, error) {
	x, err := nnTensorArg(op, 0)
	if err != nil {
		return nil, err
	}
	s := x.Shape.Clone()
	if s.Ranked {
		if len(s.Dims) < 2 {
			return nil, fmt.Errorf("input has rank %d, want at least 2", len(s.Dims))
		}
		for i := 2; i < len(s.Dims); i++ {
			s.Dims[i] = Static(1)
		}
	}
	return []Type{TensorType(x.DType, s)}, nil
}

func inferRoi(op *Op, h, w Dim) ([]Type, error) {
	x, err := nnTensorArg(op, 0)
	if err != nil {
		return nil, err
	}
	r, err := nnTensorArg(op, 1)
	if err != nil {
		return nil, err
	}
	out := UnknownDims(4)
	out.Dims[2], out.Dims[3] = h, w
	if x.Shape.Ranked {
		if len(x.Shape.Dims) != 4 {
			return nil, fmt.Errorf("X has rank %d, want 4", len(x.Shape.Dims))
		}
		out.Dims[1] = x.Shape.Dims[1]
	}
	if r.Shape.Ranked {
		if len(r.Shape.Dims) != 2 {
			return nil, fmt.Errorf("rois has rank %d, want 2", len(r.Shape.Dims))
		}
		out.Dims[0] = r.Shape.Dims[0]
	}
	return []Type{TensorType(x.DType, out)}, nil
}

// MaxUnpoolShape returns MaxUnpool's default output spatial sizes, the
// inverse of MaxPool's output formula: (in-1)*stride + kernel - pads.
func MaxUnpoolShape(in []int64, kernel, strides, pads []int64) ([]int64, error) {
	ws, err := Windows(len(in), kernel, strides, nil, pads)
	if err != nil {
		return nil, err
	}
	out := make([]int64, len(in))
	for i, w := range ws {
		out[i] = (in[i]-1)*w.Stride + w.Kernel - w.PadBegin - w.PadEnd
	}
	return out, nil
}

func inferMaxUnpool(op *Op) ([]Type, error) {
	x, err := nnTensorArg(op, 0)
	if err != nil {
		return nil, err
	}
	if len(op.Args) > 2 && op.Args[2] != nil {
		if v, ok := ConstInts(op.Args[2]); ok {
			return []Type{TensorType(x.DType, ShapeOf(v...))}, nil
		}
		if !x.Shape.Ranked {
			return []Type{TensorType(x.DType, UnrankedShape())}, nil
		}
		return []Type{TensorType(x.DType, UnknownDims(len(x.Shape.Dims)))}, nil
	}
	if !x.Shape.Ranked {
		return []Type{TensorType(x.DType, UnrankedShape())}, nil
	}
	if len(x.Shape.Dims) < 3 {
		return nil, fmt.Errorf("input has rank %d, want at least 3", len(x.Shape.Dims))
	}
	out := x.Shape.Clone()
	in, ok := Shape{Ranked: true, Dims: x.Shape.Dims[2:]}.Sizes()
	if !ok {
		for i := 2; i < len(out.Dims); i++ {
			out.Dims[i] = Unknown()
		}
		return []Type{TensorType(x.DType, out)}, nil
	}
	sp, err := MaxUnpoolShape(in, op.Ints("kernel_shape"), op.Ints("strides"), op.Ints("pads"))
	if err != nil {
		return nil, err
	}
	for i, n := range sp {
		out.Dims[2+i] = Static(n)
	}
	return []Type{TensorType(x.DType, out)}, nil
}
