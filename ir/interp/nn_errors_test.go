package interp

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kiln-ml/kiln/ir"
)

// runNNOpUnknown runs a one-op module whose inputs are declared with
// unknown dims, so that inference cannot reject bad shapes and the kernel
// has to; it returns the run error.
func runNNOpUnknown(name string, attrs []ir.Attr, nres int, inputs ...*Tensor) error {
	m := ir.NewModule()
	f := m.NewFunc("main")
	var args []*ir.Value
	var vals []Value
	for i, in := range inputs {
		args = append(args, f.AddInput(fmt.Sprintf("in%d", i), ir.TensorType(in.DType, ir.UnknownDims(in.Rank()))))
		vals = append(vals, in)
	}
	op, err := f.Body.Build(name, args, attrs, nres)
	if err != nil {
		return fmt.Errorf("build: %w", err)
	}
	for i, r := range op.Results {
		f.AddOutput(fmt.Sprintf("out%d", i), r)
	}
	_, err = New(m, Options{}).Run("main", vals)
	return err
}

// TestNNKernelErrors feeds the NN kernels ill-formed operands and checks
// that each reports an error naming the problem instead of panicking.
func TestNNKernelErrors(t *testing.T) {
	f := func(shape ...int) *Tensor { return NewTensor(ir.F32, shape) }
	i64 := func(shape []int, v ...int64) *Tensor { return FromSlice(shape, v) }
	ints := func(name string, v ...int64) ir.Attr { return ir.Attr{Name: name, Value: ir.IntsAttr(v)} }
	tests := []struct {
		name  string
		op    string
		attrs []ir.Attr
		nres  int
		in    []*Tensor
		want  string
	}{
		{"conv bias size", "Conv", nil, 1, []*Tensor{f(1, 2, 4, 4), f(3, 2, 1, 1), f(2)}, "bias"},
		{"conv group", "Conv", []ir.Attr{{Name: "group", Value: ir.IntAttr(2)}}, 1, []*Tensor{f(1, 3, 4, 4), f(2, 3, 1, 1)}, "group"},
		{"conv kernel bigger than input", "Conv", nil, 1, []*Tensor{f(1, 1, 2, 2), f(1, 1, 3, 3)}, "exceeds"},
		{"convtranspose channels", "ConvTranspose", nil, 1, []*Tensor{f(1, 2, 3, 3), f(3, 1, 2, 2)}, "group"},
		{"maxpool kernel rank", "MaxPool", []ir.Attr{ints("kernel_shape", 2)}, 1, []*Tensor{f(1, 1, 4, 4)}, "kernel_shape"},
		{"gemm inner", "Gemm", nil, 1, []*Tensor{f(2, 3), f(4, 5)}, "inner"},
		{"matmul inner", "MatMul", nil, 1, []*Tensor{f(2, 3), f(4, 5)}, "inner"},
		{"batchnorm params", "BatchNormalization", nil, 1, []*Tensor{f(1, 3, 2), f(2), f(3), f(3), f(3)}, "scale"},
		{"layernorm scale", "LayerNormalization", nil, 1, []*Tensor{f(2, 4), f(3)}, "Scale"},
		{"instancenorm rank", "InstanceNormalization", nil, 1, []*Tensor{f(2, 4), f(4), f(4)}, "rank"},
		{"einsum sizes", "Einsum", []ir.Attr{{Name: "equation", Value: ir.StringAttr("ij,jk->ik")}}, 1, []*Tensor{f(2, 3), f(4, 5)}, "disagree"},
		{"quantize per-axis size", "QuantizeLinear", nil, 1, []*Tensor{f(2, 3), f(2)}, "scale"},
		{"maxunpool index", "MaxUnpool", []ir.Attr{ints("kernel_shape", 2, 2), ints("strides", 2, 2)}, 1,
			[]*Tensor{f(1, 1, 1, 1), i64([]int{1, 1, 1, 1}, 99)}, "outside"},
		{"roialign batch index", "RoiAlign", nil, 1, []*Tensor{f(1, 1, 4, 4), f(1, 4), i64([]int{1}, 3)}, "batch index"},
		{"gridsample grid", "GridSample", nil, 1, []*Tensor{f(1, 1, 4, 4), f(1, 2, 2, 3)}, "grid"},
		{"det not square", "Det", nil, 1, []*Tensor{f(2, 3)}, "square"},
		{"dropout ratio", "Dropout", nil, 1, []*Tensor{f(2), Scalar(float32(1.5)), Scalar(true)}, "ratio"},
		{"lpnorm p", "LpNormalization", []ir.Attr{{Name: "p", Value: ir.IntAttr(3)}}, 1, []*Tensor{f(2)}, `"p" is 3, want in [1, 2]`},
	}
	for _, tc := range tests {
		err := runNNOpUnknown(tc.op, tc.attrs, tc.nres, tc.in...)
		switch {
		case err == nil:
			t.Errorf("%s: no error", tc.name)
		case strings.Contains(err.Error(), "panicked"):
			t.Errorf("%s: kernel panicked: %.300v", tc.name, err)
		case !strings.Contains(err.Error(), tc.want):
			t.Errorf("%s: error %q does not mention %q", tc.name, err, tc.want)
		}
	}
}
