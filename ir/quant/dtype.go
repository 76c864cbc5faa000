package quant

import "github.com/kiln-ml/kiln/ir"

// irTypes maps the ggml types that are kiln element types. ggml's
// activation-only formats (Q8_1, Q8_K) and the formats kiln does not
// decode have no IR type.
var irTypes = map[GGMLType]ir.DType{
	F32:    ir.F32,
	F16:    ir.F16,
	BF16:   ir.BF16,
	F64:    ir.F64,
	I8:     ir.I8,
	I16:    ir.I16,
	I32:    ir.I32,
	I64:    ir.I64,
	Q4_0:   ir.Q4_0,
	Q4_1:   ir.Q4_1,
	Q5_0:   ir.Q5_0,
	Q5_1:   ir.Q5_1,
	Q8_0:   ir.Q8_0,
	Q2_K:   ir.Q2_K,
	Q3_K:   ir.Q3_K,
	Q4_K:   ir.Q4_K,
	Q5_K:   ir.Q5_K,
	Q6_K:   ir.Q6_K,
	IQ4_NL: ir.IQ4_NL,
	IQ4_XS: ir.IQ4_XS,
}

var ggmlTypes = func() map[ir.DType]GGMLType {
	m := make(map[ir.DType]GGMLType, len(irTypes))
	for g, d := range irTypes {
		m[d] = g
	}
	return m
}()

// IRType returns the kiln element type that stores ggml type t with the
// same bytes, and false when kiln has none.
func IRType(t GGMLType) (ir.DType, bool) {
	d, ok := irTypes[t]
	return d, ok
}

// FromIRType returns the ggml type whose bytes kiln element type d
// stores, and false when ggml has none (u8, bool, string, ...).
func FromIRType(d ir.DType) (GGMLType, bool) {
	t, ok := ggmlTypes[d]
	return t, ok
}
