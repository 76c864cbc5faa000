package codegen

import (
	"fmt"

	"github.com/kiln-ml/kiln/ir"
)

// f32Kernels lists the ops whose emitters write float32 arithmetic
// (float32(math.F(float64(v))), the packed GEMM): codegen refuses them on
// other element types, which their Go would not compile for, instead of
// writing a package that does not build.
// (ConvTranspose and MaxPool are not listed: their extended emitters,
// emit_pool_index.go, route other element types to generic kernels that
// check them.)
var f32Kernels = map[string]bool{
	"Sigmoid": true, "Tanh": true, "Sqrt": true, "Exp": true, "Erf": true, "HardSigmoid": true,
	"Softmax": true, "Conv": true, "MatMul": true,
	"Gemm": true, "AveragePool": true, "GlobalAveragePool": true,
	"BatchNormalization": true, "LayerNormalization": true, "ReduceMean": true, "LSTM": true,
	"LogSoftmax": true,
}

// checkKernelTypes refuses an op of f32Kernels whose result is not
// float32.
func checkKernelTypes(op *ir.Op) error {
	if err := checkHalfTypes(op); err != nil {
		return err
	}
	if err := checkStringTypes(op); err != nil {
		return err
	}
	if !f32Kernels[op.Name] || len(op.Results) == 0 {
		return nil
	}
	if t := op.Results[0].Type; t.Kind == ir.TensorKind && t.DType != ir.F32 {
		return fmt.Errorf("result is %s; codegen computes %s on f32 only so far", t, op.Name)
	}
	return nil
}
