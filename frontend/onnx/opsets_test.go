package onnx

import (
	"sort"
	"testing"
)

// onnxVersionsAbove17 lists, per default-domain op, the versions ONNX
// introduced in opsets 18 up to MaxOpset (ONNX's Operators.md). A rule
// that is open at opset 17 would silently extend across them, so every one
// must be classified: a rule starting at that version, an element-type
// addition (typeOnlyAbove17), or refused (refusedAbove17).
var onnxVersionsAbove17 = map[string][]int64{
	"Acos": {22}, "Acosh": {22}, "Asin": {22}, "Asinh": {22}, "Atan": {22}, "Atanh": {22},
	"AveragePool": {19, 22}, "BitCast": {26}, "BitwiseAnd": {18}, "BitwiseNot": {18}, "BitwiseOr": {18},
	"BitwiseXor": {18}, "Cast": {19, 21, 23, 24, 25}, "Col2Im": {18}, "Constant": {19, 21, 23, 24, 25},
	"ConstantOfShape": {20, 21, 23, 24, 25}, "Conv": {22}, "ConvTranspose": {22}, "Cos": {22}, "Cosh": {22},
	"CumProd": {26}, "DFT": {20}, "DeformConv": {19, 22}, "DequantizeLinear": {19, 21, 23, 24, 25},
	"Det": {22}, "Dropout": {22}, "Equal": {19}, "EyeLike": {22}, "Flatten": {21, 23, 24, 25}, "GRU": {22},
	"GlobalAveragePool": {22}, "GlobalLpPool": {22}, "GlobalMaxPool": {22}, "GridSample": {20, 22},
	"Identity": {19, 21, 23, 24, 25}, "If": {19, 21, 23, 24, 25}, "ImageDecoder": {20},
	"InstanceNormalization": {22}, "IsInf": {20}, "IsNaN": {20}, "LSTM": {22}, "Loop": {19, 21, 23, 24, 25},
	"LpNormalization": {22}, "LpPool": {18, 22}, "MaxPool": {22}, "MaxRoiPool": {22}, "MaxUnpool": {22},
	"Multinomial": {22}, "OptionalGetElement": {18}, "OptionalHasElement": {18},
	"Pad": {18, 19, 21, 23, 24, 25}, "QLinearMatMul": {21}, "QuantizeLinear": {19, 21, 23, 24, 25},
	"RNN": {22}, "RandomNormal": {22}, "RandomNormalLike": {22}, "RandomUniform": {22},
	"RandomUniformLike": {22}, "ReduceMax": {18, 20}, "ReduceMean": {18}, "ReduceMin": {18, 20},
	"ReduceProd": {18}, "RegexFullMatch": {20}, "Reshape": {19, 21, 23, 24, 25}, "Resize": {18, 19},
	"RoiAlign": {22}, "Round": {22}, "Scan": {19, 21, 23, 24, 25}, "ScatterElements": {18}, "ScatterND": {18},
	"Shape": {19, 21, 23, 24, 25}, "Sin": {22}, "Sinh": {22}, "Size": {19, 21, 23, 24, 25}, "Split": {18},
	"SplitToSequence": {24}, "Squeeze": {21, 23, 24, 25}, "StringConcat": {20}, "StringSplit": {20},
	"Tan": {22}, "TensorScatter": {24}, "TopK": {24}, "Transpose": {21, 23, 24, 25},
	"Unsqueeze": {21, 23, 24, 25}, "AffineGrid": {20}, "Attention": {23, 24, 25}, "Bernoulli": {22},
	"CastLike": {19, 21, 23, 24, 25}, "CenterCropPad": {18}, "Elu": {22}, "Gelu": {20},
	"GroupNormalization": {18, 21}, "HardSigmoid": {22}, "HardSwish": {22}, "Mish": {18, 22},
	"NegativeLogLikelihoodLoss": {22}, "RMSNormalization": {23}, "ReduceL1": {18}, "ReduceL2": {18},
	"ReduceLogSum": {18}, "ReduceLogSumExp": {18}, "ReduceSumSquare": {18}, "RotaryEmbedding": {23},
	"Selu": {22}, "Softplus": {22}, "Softsign": {22}, "Swish": {24}, "ThresholdedRelu": {22},
}

// typeOnlyAbove17 are versions that only add element types (float8, int4,
// float4, int2, bfloat16 and the like) or accept what kiln's op already
// took: one rule spans them, inputs of a type kiln lacks are refused when
// the model's types are read, and bfloat16 where the kiln op does not take
// it is refused by the op's contract.
var typeOnlyAbove17 = map[string][]int64{
	// opset 19, 21, 23, 24, 25: float8, then int4/uint4, float4e2m1,
	// float8e8m0, int2/uint2 (the rule at 19 takes Cast-19's saturate; the
	// one at 24 drops Cast-24's round_mode, which only acts on float8e8m0).
	"Cast": {21, 23, 25}, "CastLike": {21, 23, 25}, "Constant": {19, 21, 23, 24, 25},
	"ConstantOfShape": {20, 21, 23, 24, 25}, "Flatten": {21, 23, 24, 25}, "Identity": {19, 21, 23, 24, 25},
	"If": {19, 21, 23, 24, 25}, "Loop": {19, 21, 23, 24, 25}, "Scan": {19, 21, 23, 24, 25},
	"Reshape": {19, 21, 23, 24, 25}, "Shape": {19, 21, 23, 24, 25}, "Size": {19, 21, 23, 24, 25},
	"Squeeze": {21, 23, 24, 25}, "Transpose": {21, 23, 24, 25}, "Unsqueeze": {21, 23, 24, 25},
	"Pad": {21, 23, 24, 25}, "QLinearMatMul": {21},
	// DequantizeLinear-19 adds float8 inputs; Quantize/DequantizeLinear-24
	// a float8e8m0 scale, -25 int2/uint2.
	"DequantizeLinear": {19, 24, 25}, "QuantizeLinear": {24, 25},
	// Equal-19 adds string, IsInf/IsNaN-20 float16/bfloat16 (and float8),
	// ReduceMax/Min-20 bool, TopK-24 and SplitToSequence-24 bfloat16.
	"Equal": {19}, "IsInf": {20}, "IsNaN": {20}, "ReduceMax": {20}, "ReduceMin": {20}, "TopK": {24},
	"SplitToSequence": {24},
	// OptionalHasElement/GetElement-18 also take a plain tensor or
	// sequence, which kiln's ops already accept.
	"OptionalGetElement": {18}, "OptionalHasElement": {18},
	// opset 22: bfloat16.
	"Acos": {22}, "Acosh": {22}, "Asin": {22}, "Asinh": {22}, "Atan": {22}, "Atanh": {22},
	"AveragePool": {22}, "Conv": {22}, "ConvTranspose": {22}, "Cos": {22}, "Cosh": {22}, "Det": {22},
	"Dropout": {22}, "EyeLike": {22}, "GRU": {22}, "GlobalAveragePool": {22}, "GlobalLpPool": {22},
	"GlobalMaxPool": {22}, "GridSample": {22}, "InstanceNormalization": {22}, "LSTM": {22},
	"LpNormalization": {22}, "LpPool": {22}, "MaxPool": {22}, "MaxRoiPool": {22}, "MaxUnpool": {22},
	"Multinomial": {22}, "RNN": {22}, "RandomNormal": {22}, "RandomNormalLike": {22}, "RandomUniform": {22},
	"RandomUniformLike": {22}, "RoiAlign": {22}, "Round": {22}, "Sin": {22}, "Sinh": {22}, "Tan": {22},
	"Bernoulli": {22}, "Elu": {22}, "HardSigmoid": {22}, "HardSwish": {22}, "Mish": {22},
	"NegativeLogLikelihoodLoss": {22}, "Selu": {22}, "Softplus": {22}, "Softsign": {22},
	"ThresholdedRelu": {22},
}

// refusedAbove17 are op versions kiln does not import yet, with the
// reason; the README's table of gaps repeats them.
var refusedAbove17 = map[string]map[int64]string{
	"DeformConv":   {19: "no kiln op yet", 22: "no kiln op yet"},
	"ImageDecoder": {20: "decodes image files; no kiln op (no image codecs in the interpreter)"},
}

func TestOpsetsAbove17Classified(t *testing.T) {
	if MaxOpset != 26 {
		t.Fatalf("MaxOpset is %d: update onnxVersionsAbove17 from ONNX's Operators.md up to it", MaxOpset)
	}
	var ops []string
	for op := range onnxVersionsAbove17 {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	has := func(vs []int64, v int64) bool {
		for _, x := range vs {
			if x == v {
				return true
			}
		}
		return false
	}
	for _, op := range ops {
		for _, v := range onnxVersionsAbove17[op] {
			typeOnly := has(typeOnlyAbove17[op], v)
			why, refused := refusedAbove17[op][v]
			rs := rules[":"+op]
			var at *rule
			for i := range rs {
				if v >= rs[i].since && (rs[i].until == 0 || v <= rs[i].until) {
					at = &rs[i]
				}
			}
			switch {
			case refused:
				if at != nil {
					t.Errorf("%s-%d is listed as refused (%s) but has a rule %d..%d", op, v, why, at.since, at.until)
				}
			case at == nil:
				t.Errorf("%s-%d: no rule, and not listed in refusedAbove17 with a reason", op, v)
			case at.since == v:
				if typeOnly {
					t.Errorf("%s-%d has a rule of its own but is listed as type-only", op, v)
				}
			case !typeOnly:
				t.Errorf("%s-%d: the rule %d..%d spans it, but it is not listed as type-only", op, v, at.since, at.until)
			}
			if _, ok := lookupRule("", op, v); ok && v > MaxOpset {
				t.Errorf("%s-%d above MaxOpset", op, v)
			}
		}
	}
	for op, vs := range typeOnlyAbove17 {
		for _, v := range vs {
			if !has(onnxVersionsAbove17[op], v) {
				t.Errorf("typeOnlyAbove17 lists %s-%d, which is no ONNX version", op, v)
			}
		}
	}
	for op, vs := range refusedAbove17 {
		for v := range vs {
			if !has(onnxVersionsAbove17[op], v) {
				t.Errorf("refusedAbove17 lists %s-%d, which is no ONNX version", op, v)
			}
		}
	}
}
