package onnx

import (
	"fmt"

	"github.com/kiln-ml/kiln/ir"
)

func init() {
	// Gemm-1 and -6 carried a broadcast attribute: without it C had to be
	// [M, N] already, with it C broadcast unidirectionally, which numpy
	// broadcasting to [M, N] covers either way. C became optional at 11.
	register("Gemm", 1, 6, direct("broadcast"))
	register("Gemm", 7, 0, direct())
	register("MatMul", 1, 0, direct())
	register("MatMulInteger", 10, 0, direct())
	register("QLinearMatMul", 10, 0, direct())
	register("Einsum", 12, 0, direct())
	register("Det", 11, 0, direct())
	// QuantizeLinear-10 and DequantizeLinear-10 were per-tensor only;
	// axis (default 1) arrived at 13 and changes nothing for scalars.
	// -19 added float8 (and QuantizeLinear's saturate, which only acts on
	// float8), -21 block_size, QuantizeLinear's output_dtype and the int4
	// and 16-bit types, -23 DequantizeLinear's output_dtype and
	// QuantizeLinear's precision, -24/-25 more narrow types. Each range
	// refuses the attributes of later versions.
	register("QuantizeLinear", 10, 18, convQDQ("block_size", "output_dtype", "saturate", "precision"))
	register("QuantizeLinear", 19, 20, convQDQ("block_size", "output_dtype", "precision"))
	register("QuantizeLinear", 21, 22, convQDQ("precision"))
	register("QuantizeLinear", 23, 0, convQDQ())
	register("DequantizeLinear", 10, 20, convQDQ("block_size", "output_dtype"))
	register("DequantizeLinear", 21, 22, convQDQ("output_dtype"))
	register("DequantizeLinear", 23, 0, convQDQ())
	register("DynamicQuantizeLinear", 11, 0, direct())
}

// convQDQ converts QuantizeLinear and DequantizeLinear, refusing the
// attributes named (a later version's). output_dtype 0 means unset.
// precision (QuantizeLinear-23) names the type x / y_scale is computed in;
// kiln, like ONNX Runtime, divides in float32, so only 0 (the scale's
// type) and float32 are taken.
func convQDQ(later ...string) convertFunc {
	return func(c *converter, n *node) ([]*ir.Value, error) {
		name := n.proto.GetOpType()
		for _, a := range later {
			if n.Has(a) {
				return nil, fmt.Errorf("attribute %s is not part of %s at opset %d", a, name, n.Opset)
			}
		}
		// saturate is QuantizeLinear's (-19, float8 outputs); a
		// DequantizeLinear node never had it and drops it as before.
		ignore := []string{"precision"}
		if name == "DequantizeLinear" {
			ignore = append(ignore, "saturate")
		}
		if p := n.Int("precision", 0); p != 0 && p != 1 {
			return nil, fmt.Errorf("precision %d is not supported (kiln computes x / y_scale in float32)", p)
		}
		if n.Int("output_dtype", 0) == 0 {
			ignore = append(ignore, "output_dtype")
		}
		attrs, _, err := c.attrs(n, ir.Lookup(name), ignore)
		if err != nil {
			return nil, err
		}
		return c.emit(name, n.Inputs, attrs, 1)
	}
}
