package interp

import "fmt"

// tensorOperands is how kernels fetch their tensor operands, in one call at
// the top of the kernel: every present operand must be a tensor, the first
// need operands must be present, and the result has at least total entries
// (nil for absent optional operands), so a kernel can test ts[i] != nil
// instead of len(args) > i && args[i] != nil.
func tensorOperands(args []Value, need, total int) ([]*Tensor, error) {
	ts := scratch[*Tensor](max(len(args), total))
	for i, a := range args {
		if a == nil {
			continue
		}
		t, ok := a.(*Tensor)
		if !ok {
			return nil, fmt.Errorf("operand %d is %v, want a tensor", i, a.Type())
		}
		ts[i] = t
	}
	for i := 0; i < need; i++ {
		if i >= len(ts) || ts[i] == nil {
			return nil, fmt.Errorf("missing operand %d", i)
		}
	}
	return ts, nil
}

// floatTensorOperands is tensorOperands for the float-only kernels (NN
// ops): it also checks that the first operand has a float type.
func floatTensorOperands(args []Value, need, total int) ([]*Tensor, error) {
	ts, err := tensorOperands(args, need, total)
	if err != nil {
		return nil, err
	}
	if err := nnFloatDType(ts[0].DType); err != nil {
		return nil, err
	}
	return ts, nil
}

// tensorInt64s reads an integer operand's values (shape, axes, pads, ...);
// what names the operand in errors.
func tensorInt64s(t *Tensor, what string) ([]int64, error) {
	v, err := elemsAsInt64(t)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return v, nil
}
