package onnx

import (
	"fmt"

	"github.com/kiln-ml/kiln/ir"
)

func init() {
	// DFT, STFT, the windows and MelWeightMatrix are new in opset 17 (DFT
	// moved axis to an input only at opset 20).
	for _, name := range []string{"DFT", "STFT", "HannWindow", "HammingWindow", "BlackmanWindow", "MelWeightMatrix"} {
		if name != "DFT" {
			register(name, 17, 0, direct())
		}
	}
	register("DFT", 17, 19, direct())
	register("DFT", 20, 0, convDFT20)
}

// convDFT20 converts DFT-20, which moved axis from an attribute (default 1)
// to an optional scalar input (default -2). kiln's DFT keeps the
// attribute, so the input must be a constant.
func convDFT20(c *converter, n *node) ([]*ir.Value, error) {
	axis := int64(-2)
	if a := n.In(2); a != nil {
		v, ok := ir.ConstInts(a)
		if !ok || len(v) != 1 {
			return nil, fmt.Errorf("input axis must be a constant scalar (kiln's DFT takes the axis as an attribute)")
		}
		axis = v[0]
	}
	attrs, _, err := c.attrs(n, ir.Lookup("DFT"), nil)
	if err != nil {
		return nil, err
	}
	attrs = append(attrs, ir.Attr{Name: "axis", Value: ir.IntAttr(axis)})
	return c.emit("DFT", []*ir.Value{n.In(0), n.In(1)}, attrs, 1)
}
