package onnx

import (
	"fmt"

	"github.com/kiln-ml/kiln/ir"
)

// Constant nodes become module constants; no op is emitted. Constant-1 and -9
// carry only `value`; -11 adds sparse_value; -12 adds value_float(s),
// value_int(s) and value_string(s).
func init() {
	register("Constant", 1, 0, convConstant)
}

func convConstant(c *converter, n *node) ([]*ir.Value, error) {
	name := ""
	if len(n.proto.Output) > 0 {
		name = n.proto.Output[0]
	}
	var td *tensorData
	switch {
	case n.Has("value"):
		tp := n.Tensor("value")
		if tp == nil {
			if n.err != nil {
				return nil, n.err
			}
			return nil, fmt.Errorf("attribute value: want a tensor")
		}
		var err error
		if td, err = decodeTensor(tp, c.ext); err != nil {
			return nil, fmt.Errorf("attribute value: %w", err)
		}
	case n.Has("value_float"):
		td = &tensorData{dtype: ir.F32, bytes: ir.EncodeSlice([]float32{n.Float("value_float", 0)})}
	case n.Has("value_floats"):
		fs := n.Floats("value_floats")
		td = &tensorData{dtype: ir.F32, shape: []int64{int64(len(fs))}, bytes: ir.EncodeSlice(fs)}
	case n.Has("value_int"):
		td = &tensorData{dtype: ir.I64, bytes: ir.EncodeSlice([]int64{n.Int("value_int", 0)})}
	case n.Has("value_ints"):
		is := n.Ints("value_ints")
		td = &tensorData{dtype: ir.I64, shape: []int64{int64(len(is))}, bytes: ir.EncodeSlice(is)}
	case n.Has("value_string"):
		td = &tensorData{dtype: ir.String, strings: []string{n.Str("value_string", "")}}
	case n.Has("value_strings"):
		ss := n.Strings("value_strings")
		td = &tensorData{dtype: ir.String, shape: []int64{int64(len(ss))}, strings: ss}
	case n.Has("sparse_value"):
		return nil, fmt.Errorf("sparse constants are not supported")
	default:
		return nil, fmt.Errorf("Constant without a value attribute")
	}
	return []*ir.Value{c.addConst(name, td)}, nil
}
