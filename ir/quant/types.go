// Package quant describes ggml's tensor element types and computes with
// their blocks as ggml does, bit for bit:
//
//   - the type ids GGUF files store, with each type's block length and
//     block size (Info, RowBytes), and the kiln element type holding the
//     same bytes (IRType, FromIRType);
//   - DequantizeRow (and DequantizeQ4_0, ...): F32, F16, BF16, Q4_0, Q4_1,
//     Q5_0, Q5_1, Q8_0, Q2_K to Q6_K, IQ4_NL and IQ4_XS to float32, as
//     ggml's dequantize_row_* functions;
//   - QuantizeRow: ggml's quantizers as llama-quantize runs them without
//     an importance matrix, for F16, BF16, the legacy formats, Q2_K to
//     Q6_K, IQ4_NL and IQ4_XS, and the activation formats Q8_0, Q8_1 and
//     Q8_K;
//   - VecDot: a row of weight blocks times activations quantized to
//     VecDotType's format, with the integer accumulation and float order
//     of ggml's scalar ggml_vec_dot_* kernels.
//
// It imports only package ir. The float operations are written so that
// none is fused into a multiply-add: results do not depend on the
// machine.
package quant

import "fmt"

// GGMLType is a tensor type id as GGUF stores it (ggml's enum ggml_type).
type GGMLType uint32

// The ggml type ids. Ids 4 and 5 (Q4_2, Q4_3), 31 to 33 and 36 to 38
// (the repacked ARM layouts) were retired from the format and are refused.
const (
	F32     GGMLType = 0
	F16     GGMLType = 1
	Q4_0    GGMLType = 2
	Q4_1    GGMLType = 3
	Q5_0    GGMLType = 6
	Q5_1    GGMLType = 7
	Q8_0    GGMLType = 8
	Q8_1    GGMLType = 9
	Q2_K    GGMLType = 10
	Q3_K    GGMLType = 11
	Q4_K    GGMLType = 12
	Q5_K    GGMLType = 13
	Q6_K    GGMLType = 14
	Q8_K    GGMLType = 15
	IQ2_XXS GGMLType = 16
	IQ2_XS  GGMLType = 17
	IQ3_XXS GGMLType = 18
	IQ1_S   GGMLType = 19
	IQ4_NL  GGMLType = 20
	IQ3_S   GGMLType = 21
	IQ2_S   GGMLType = 22
	IQ4_XS  GGMLType = 23
	I8      GGMLType = 24
	I16     GGMLType = 25
	I32     GGMLType = 26
	I64     GGMLType = 27
	F64     GGMLType = 28
	IQ1_M   GGMLType = 29
	BF16    GGMLType = 30
	TQ1_0   GGMLType = 34
	TQ2_0   GGMLType = 35
	MXFP4   GGMLType = 39
	NVFP4   GGMLType = 40
)

// TypeInfo describes one ggml type: its name as ggml spells it, how many
// elements one block holds and how many bytes a block takes.
type TypeInfo struct {
	Name       string
	BlockLen   int
	BlockBytes int
}

var types = map[GGMLType]TypeInfo{
	F32:     {"F32", 1, 4},
	F16:     {"F16", 1, 2},
	Q4_0:    {"Q4_0", 32, 18},
	Q4_1:    {"Q4_1", 32, 20},
	Q5_0:    {"Q5_0", 32, 22},
	Q5_1:    {"Q5_1", 32, 24},
	Q8_0:    {"Q8_0", 32, 34},
	Q8_1:    {"Q8_1", 32, 36},
	Q2_K:    {"Q2_K", 256, 84},
	Q3_K:    {"Q3_K", 256, 110},
	Q4_K:    {"Q4_K", 256, 144},
	Q5_K:    {"Q5_K", 256, 176},
	Q6_K:    {"Q6_K", 256, 210},
	Q8_K:    {"Q8_K", 256, 292},
	IQ2_XXS: {"IQ2_XXS", 256, 66},
	IQ2_XS:  {"IQ2_XS", 256, 74},
	IQ3_XXS: {"IQ3_XXS", 256, 98},
	IQ1_S:   {"IQ1_S", 256, 50},
	IQ4_NL:  {"IQ4_NL", 32, 18},
	IQ3_S:   {"IQ3_S", 256, 110},
	IQ2_S:   {"IQ2_S", 256, 82},
	IQ4_XS:  {"IQ4_XS", 256, 136},
	I8:      {"I8", 1, 1},
	I16:     {"I16", 1, 2},
	I32:     {"I32", 1, 4},
	I64:     {"I64", 1, 8},
	F64:     {"F64", 1, 8},
	IQ1_M:   {"IQ1_M", 256, 56},
	BF16:    {"BF16", 1, 2},
	TQ1_0:   {"TQ1_0", 256, 54},
	TQ2_0:   {"TQ2_0", 256, 66},
	MXFP4:   {"MXFP4", 32, 17},
	NVFP4:   {"NVFP4", 64, 36},
}

// retired names the ids ggml once defined and has since removed from the
// format: files holding them are refused, with the name as a hint.
var retired = map[GGMLType]string{
	4:  "Q4_2",
	5:  "Q4_3",
	31: "Q4_0_4_4",
	32: "Q4_0_4_8",
	33: "Q4_0_8_8",
	36: "IQ4_NL_4_4",
	37: "IQ4_NL_4_8",
	38: "IQ4_NL_8_8",
}

// Retired returns the name of a type id ggml has retired, and false for
// any other id.
func Retired(t GGMLType) (string, bool) {
	n, ok := retired[t]
	return n, ok
}

// Info returns t's description, and false for an id ggml does not define
// (or has retired).
func Info(t GGMLType) (TypeInfo, bool) {
	i, ok := types[t]
	return i, ok
}

// String returns ggml's name for t, or "type(N)" for an unknown id.
func (t GGMLType) String() string {
	if i, ok := types[t]; ok {
		return i.Name
	}
	return fmt.Sprintf("type(%d)", uint32(t))
}

// RowBytes returns the bytes n elements of type t take, and an error when
// t is unknown or n is not a whole number of blocks.
func RowBytes(t GGMLType, n int64) (int64, error) {
	i, ok := types[t]
	if !ok {
		return 0, fmt.Errorf("unknown ggml type id %d", uint32(t))
	}
	if n < 0 || n%int64(i.BlockLen) != 0 {
		return 0, fmt.Errorf("%d elements of %s: not a multiple of its block length %d", n, i.Name, i.BlockLen)
	}
	return n / int64(i.BlockLen) * int64(i.BlockBytes), nil
}
