package tensor

import (
	"bytes"
	"slices"

	"github.com/kiln-ml/kiln/ir"
)

// Identical reports whether a and b are the same value bit for bit: tensors
// of one dtype and shape whose elements have the same bits (a NaN equals a
// NaN with the same payload; 0 and -0 differ), sequences whose items are
// identical in order, optionals both empty or holding identical values. It
// is what "computes the identical result" means in round-trip tests and
// translation validation. Malformed tensors (see Check) are identical to
// nothing.
func Identical(a, b Value) bool {
	switch x := a.(type) {
	case *Tensor:
		y, ok := b.(*Tensor)
		if !ok || x == nil || y == nil || x.DType != y.DType || !slices.Equal(x.Shape, y.Shape) ||
			x.Check() != nil || y.Check() != nil {
			return false
		}
		if x.DType == ir.String {
			return slices.Equal(Data[string](x), Data[string](y))
		}
		xb, err1 := EncodeBytes(x)
		yb, err2 := EncodeBytes(y)
		return err1 == nil && err2 == nil && bytes.Equal(xb, yb)
	case *Sequence:
		y, ok := b.(*Sequence)
		if !ok || x == nil || y == nil || len(x.Items) != len(y.Items) {
			return false
		}
		for i := range x.Items {
			if !Identical(x.Items[i], y.Items[i]) {
				return false
			}
		}
		return true
	case *Optional:
		y, ok := b.(*Optional)
		if !ok || x == nil || y == nil || (x.Value == nil) != (y.Value == nil) {
			return false
		}
		return x.Value == nil || Identical(x.Value, y.Value)
	}
	return a == nil && b == nil
}
