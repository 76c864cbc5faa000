package onnx

import (
	"fmt"

	"github.com/kiln-ml/kiln/ir"
)

// Pooling. Later versions only add attributes with defaults that keep the
// earlier meaning (ceil_mode at AveragePool-10/MaxPool-10, dilations and
// storage_order at MaxPool-8/10, count_include_pad at AveragePool-7), so
// one direct rule covers each op, except LpPool-1 and GlobalLpPool-1 whose
// p was a float attribute.
func init() {
	// AveragePool-19 added dilations, LpPool-18 ceil_mode and dilations;
	// the opset-22 versions only add bfloat16.
	register("AveragePool", 1, 18, directWithout("dilations"))
	register("AveragePool", 19, 0, direct())
	register("MaxPool", 1, 0, direct())
	register("GlobalAveragePool", 1, 0, direct())
	register("GlobalMaxPool", 1, 0, direct())
	register("LpPool", 1, 1, convLpPool1)
	register("LpPool", 2, 17, directWithout("ceil_mode", "dilations"))
	register("LpPool", 18, 0, direct())
	register("GlobalLpPool", 1, 1, convLpPool1)
	register("GlobalLpPool", 2, 0, direct())
	register("MaxUnpool", 9, 0, direct())
	register("MaxRoiPool", 1, 0, direct())
	// RoiAlign-10 always used the "output_half_pixel" convention (no
	// half-pixel shift of the ROI corners); RoiAlign-16 made it the
	// non-default value of coordinate_transformation_mode.
	register("RoiAlign", 10, 15, func(c *converter, n *node) ([]*ir.Value, error) {
		attrs, _, err := c.attrs(n, ir.Lookup("RoiAlign"), nil)
		if err != nil {
			return nil, err
		}
		attrs = append(attrs, ir.Attr{Name: "coordinate_transformation_mode", Value: ir.StringAttr("output_half_pixel")})
		return c.emit("RoiAlign", n.Inputs, attrs, n.Outputs)
	})
	register("RoiAlign", 16, 0, direct())
	register("GridSample", 16, 19, direct())
	register("GridSample", 20, 0, convGridSample20)
	register("AffineGrid", 20, 0, direct())
}

// convGridSample20 converts GridSample-20, which renamed the modes
// (bilinear and bicubic became linear and cubic, now the default) and
// allowed N-D inputs. kiln's GridSample is GridSample-16's 2-D sampler, so
// other ranks are refused.
func convGridSample20(c *converter, n *node) ([]*ir.Value, error) {
	if x := n.In(0); x != nil {
		if r := x.Type.Shape.Rank(); r >= 0 && r != 4 {
			return nil, fmt.Errorf("X has rank %d: kiln's GridSample samples 2-D images ([N,C,H,W]) only", r)
		}
	}
	mode := map[string]string{"linear": "bilinear", "cubic": "bicubic", "nearest": "nearest"}[n.Str("mode", "linear")]
	if mode == "" {
		return nil, fmt.Errorf("unknown mode %q", n.Str("mode", "linear"))
	}
	attrs, _, err := c.attrs(n, ir.Lookup("GridSample"), []string{"mode"})
	if err != nil {
		return nil, err
	}
	attrs = append(attrs, ir.Attr{Name: "mode", Value: ir.StringAttr(mode)})
	return c.emit("GridSample", n.Inputs, attrs, 1)
}

// convLpPool1 converts LpPool-1 and GlobalLpPool-1, whose p was a float
// (default 2); kiln follows version 2's int p.
func convLpPool1(c *converter, n *node) ([]*ir.Value, error) {
	name := n.proto.GetOpType()
	attrs, _, err := c.attrs(n, ir.Lookup(name), []string{"p"})
	if err != nil {
		return nil, err
	}
	p := n.Float("p", 2)
	if p != float32(int64(p)) {
		return nil, fmt.Errorf("p=%g: only integral p is supported", p)
	}
	attrs = append(attrs, ir.Attr{Name: "p", Value: ir.IntAttr(int64(p))})
	return c.emit(name, n.Inputs, attrs, n.Outputs)
}
