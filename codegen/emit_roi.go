package codegen

import (
	"fmt"

	"github.com/kiln-ml/kiln/ir"
)

// RoiAlign calls the generic kernel of codegen/kernels/generic_roi.go.
func init() {
	emitters["RoiAlign"] = emitRoiAlign
}

// emitRoiAlign writes RoiAlign over an (N, C, H, W) input.
func emitRoiAlign(c *opCtx) (*kernel, error) {
	xs, err := c.arg(0)
	if err != nil {
		return nil, err
	}
	rs, err := c.arg(1)
	if err != nil {
		return nil, err
	}
	bs, err := c.arg(2)
	if err != nil {
		return nil, err
	}
	ys, err := c.out(0)
	if err != nil {
		return nil, err
	}
	dt, it := c.op.Args[0].Type.DType, c.op.Args[2].Type.DType
	if !isDraw(dt) || c.op.Args[1].Type.DType != dt || it != ir.I32 && it != ir.I64 {
		return nil, fmt.Errorf("X %s, rois %s, batch_indices %s: want f32 or f64 (the same) and i32 or i64", dt, c.op.Args[1].Type.DType, it)
	}
	if len(xs) != 4 || len(rs) != 2 || rs[1] != 4 || len(bs) != 1 || bs[0] != rs[0] || xs[2] == 0 || xs[3] == 0 {
		return nil, fmt.Errorf("X %v, rois %v, batch_indices %v: want [N,C,H,W] (H, W > 0), [R,4], [R]", xs, rs, bs)
	}
	oh, ow := int(c.op.Int("output_height")), int(c.op.Int("output_width"))
	if want := []int{rs[0], xs[1], oh, ow}; oh < 1 || ow < 1 || !sameShape(ys, want) {
		return nil, fmt.Errorf("result %v, want %v", ys, want)
	}
	isMax := c.op.Str("mode") == "max"
	halfPixel := c.op.Str("coordinate_transformation_mode") == "half_pixel"
	body := fmt.Sprintf("if err := roiAlign(x[:%d], rois[:%d], bidx[:%d], y[:%d], %d, %d, %d, %d, %d, %d, %d, %d, %s, %t, %t); err != nil {\nreturn err\n}\n",
		numel(xs), numel(rs), numel(bs), numel(ys), xs[0], xs[1], xs[2], xs[3], rs[0], oh, ow, c.op.Int("sampling_ratio"), floatLit(float64(c.op.Float("spatial_scale"))), isMax, halfPixel)
	shapes := fmt.Sprintf("%s, %s -> %s", dtypeText(dt, xs), dtypeText(dt, rs), dtypeText(dt, ys))
	return &kernel{in: c.op.Args[:3], params: []string{"x", "rois", "bidx", "y"}, nout: 1, fails: true, comment: fmt.Sprintf("RoiAlign %s, mode %s: generic", shapes, c.op.Str("mode")), body: body, shapes: shapes}, nil
}
