package ir

import (
	"fmt"
	"math"
)

// The elementwise and broadcast op family: arithmetic, math functions,
// activations, logic and comparisons, Where, the variadic Sum/Max/Min/Mean,
// and Cast. Every declaration follows ONNX opset 17 (attributes that ONNX
// later turned into inputs, such as Clip's min and max, are inputs here).

// Selu's defaults are float32 roundings of the constants in the SELU paper;
// ONNX spells them out to full float32 precision.
const (
	seluAlpha = 1.67326319217681884765625
	seluGamma = 1.05070102214813232421875
)

func init() {
	// Binary arithmetic with numpy broadcasting (ONNX 7+ semantics); every
	// numeric type since Add-14/Sub-14/Mul-14/Div-14.
	for _, op := range []struct {
		name, doc string
		traits    Trait
	}{
		{"Add", "elementwise A + B with numpy broadcasting", Commutative},
		{"Sub", "elementwise A - B with numpy broadcasting", 0},
		{"Mul", "elementwise A * B with numpy broadcasting", Commutative},
		{"Div", "elementwise A / B with numpy broadcasting (integers truncate toward zero)", 0},
	} {
		Register(&OpDef{Name: op.name, Doc: op.doc, Kind: Broadcast, Traits: op.traits | InPlace,
			Inputs: In("A:T", "B:T"), Outputs: In("C:T"), Types: []TypeConstraint{TC("T", NumericTypes)},
			Infer:      inferBroadcastSameDType,
			ShapeValue: arithShapeValue[op.name]})
	}
	// Pow-15: the base is i32, i64 or a float, the exponent any number.
	Register(&OpDef{Name: "Pow", Doc: "elementwise X ** Y with broadcasting; the result has X's type",
		Kind: Broadcast, Traits: InPlace, Inputs: In("X:T", "Y:T1"), Outputs: In("Z:T"),
		Types: []TypeConstraint{TC("T", IndexTypes|FloatTypes), TC("T1", NumericTypes)},
		Infer: InferBroadcast})
	// ONNX requires fmod=1 for floats; kiln also accepts fmod=0 on floats
	// (the result takes the divisor's sign, as for integers): a leniency.
	Register(&OpDef{Name: "Mod", Doc: "elementwise remainder: sign of the divisor, or of the dividend when fmod=1",
		Kind: Broadcast, Traits: InPlace, Inputs: In("A:T", "B:T"), Outputs: In("C:T"),
		Types: []TypeConstraint{TC("T", NumericTypes)}, Attrs: []AttrDef{ABool("fmod", 0).Range(0, 1)},
		Infer: inferBroadcastSameDType})
	Register(&OpDef{Name: "BitShift", Doc: "elementwise X << Y or X >> Y of unsigned integers (direction LEFT or RIGHT)",
		Kind: Broadcast, Traits: InPlace, Inputs: In("X:T", "Y:T"), Outputs: In("Z:T"),
		Types: []TypeConstraint{TC("T", UnsignedInts)},
		Attrs: []AttrDef{ARequired("direction", AttrString).OneOf("LEFT", "RIGHT")}, Infer: inferBroadcastSameDType})
	// PRelu-16 added bfloat16 and the 32/64-bit integers.
	Register(&OpDef{Name: "PRelu", Doc: "X where X >= 0, else slope * X; slope broadcasts to X",
		Kind: Broadcast, Traits: InPlace, Inputs: In("X:T", "slope:T"), Outputs: In("Y:T"),
		Types: []TypeConstraint{TC("T", FloatTypes|Types(I32, I64, U32, U64))}, Infer: inferBroadcastSameDType})

	// Unary math and activations without attributes, with the element types
	// of their latest ONNX version <= 17 (the -13 revisions added bfloat16
	// to most; the trigonometric family, Round, HardSwish, Softplus and
	// Softsign never got it).
	for _, op := range []struct {
		name, doc string
		types     TypeSet
	}{
		{"Abs", "elementwise |X|", NumericTypes},
		{"Neg", "elementwise -X", SignedNumeric},
		{"Sign", "elementwise sign of X: -1, 0 or 1", NumericTypes},
		{"Ceil", "elementwise ceiling", FloatTypes},
		{"Floor", "elementwise floor", FloatTypes},
		{"Round", "elementwise round to nearest, halves to even", FloatNoBF16},
		{"Reciprocal", "elementwise 1 / X", FloatTypes},
		{"Sqrt", "elementwise square root", FloatTypes},
		{"Exp", "elementwise e ** X", FloatTypes},
		{"Log", "elementwise natural logarithm", FloatTypes},
		{"Erf", "elementwise Gauss error function", NumericTypes},
		{"Sin", "elementwise sine", FloatNoBF16},
		{"Cos", "elementwise cosine", FloatNoBF16},
		{"Tan", "elementwise tangent", FloatNoBF16},
		{"Asin", "elementwise arcsine", FloatNoBF16},
		{"Acos", "elementwise arccosine", FloatNoBF16},
		{"Atan", "elementwise arctangent", FloatNoBF16},
		{"Sinh", "elementwise hyperbolic sine", FloatNoBF16},
		{"Cosh", "elementwise hyperbolic cosine", FloatNoBF16},
		{"Asinh", "elementwise inverse hyperbolic sine", FloatNoBF16},
		{"Acosh", "elementwise inverse hyperbolic cosine", FloatNoBF16},
		{"Atanh", "elementwise inverse hyperbolic tangent", FloatNoBF16},
		{"Tanh", "elementwise hyperbolic tangent", FloatTypes},
		{"Sigmoid", "elementwise 1 / (1 + e ** -X)", FloatTypes},
		{"HardSwish", "elementwise X * max(0, min(1, X/6 + 1/2))", FloatNoBF16},
		{"Relu", "elementwise max(0, X)", SignedNumeric},
		{"Softplus", "elementwise ln(e ** X + 1)", FloatNoBF16},
		{"Softsign", "elementwise X / (1 + |X|)", FloatNoBF16},
		{"Not", "elementwise logical not of a bool tensor", BoolType},
	} {
		Register(&OpDef{Name: op.name, Doc: op.doc, Kind: Elementwise, Traits: InPlace,
			Inputs: In("X:T"), Outputs: In("Y:T"), Types: []TypeConstraint{TC("T", op.types)},
			Infer:      InferSameAsInput,
			ShapeValue: arithShapeValue[op.name]})
	}

	// Unary activations with attributes.
	unaryAttrs := func(name, doc string, types TypeSet, attrs ...AttrDef) {
		Register(&OpDef{Name: name, Doc: doc, Kind: Elementwise, Traits: InPlace,
			Inputs: In("X:T"), Outputs: In("Y:T"), Types: []TypeConstraint{TC("T", types)},
			Attrs: attrs, Infer: InferSameAsInput})
	}
	unaryAttrs("HardSigmoid", "elementwise max(0, min(1, alpha*X + beta))", FloatNoBF16,
		AFloat("alpha", 0.2), AFloat("beta", 0.5))
	// LeakyRelu-16 added bfloat16.
	unaryAttrs("LeakyRelu", "elementwise X where X >= 0, else alpha * X", FloatTypes, AFloat("alpha", 0.01))
	unaryAttrs("Elu", "elementwise X where X >= 0, else alpha * (e ** X - 1)", FloatNoBF16, AFloat("alpha", 1))
	unaryAttrs("Selu", "elementwise gamma * (X where X > 0, else alpha * (e ** X - 1))", FloatNoBF16,
		AFloat("alpha", seluAlpha), AFloat("gamma", seluGamma))
	// Celu-12 is declared for float32 only.
	unaryAttrs("Celu", "elementwise max(0, X) + min(0, alpha * (e ** (X/alpha) - 1))", Types(F32), AFloat("alpha", 1))
	unaryAttrs("ThresholdedRelu", "elementwise X where X > alpha, else 0", FloatNoBF16, AFloat("alpha", 1))
	// Shrink-9 takes every integer type and f16/f32/f64.
	unaryAttrs("Shrink", "elementwise X+bias where X < -lambd, X-bias where X > lambd, else 0", IntTypes|FloatNoBF16,
		AFloat("bias", 0), AFloat("lambd", 0.5))

	// Activations of opsets 18 to 24: Mish-18 (bfloat16 from -22), Gelu-20
	// (exact, or the tanh approximation), Swish-24 (x * sigmoid(alpha*x)).
	unaryAttrs("Mish", "elementwise X * tanh(ln(1 + e ** X))", FloatNoBF16)
	unaryAttrs("Gelu", "elementwise X/2 * (1 + erf(X/sqrt(2))), or with approximate=tanh X/2 * (1 + tanh(sqrt(2/pi) * (X + 0.044715 X**3)))",
		FloatTypes, AEnum("approximate", "none", "none", "tanh"))
	unaryAttrs("Swish", "elementwise X * sigmoid(alpha * X)", FloatTypes, AFloat("alpha", 1))

	// Bitwise ops (opset 18) on every integer type.
	for _, op := range []struct{ name, doc string }{
		{"BitwiseAnd", "elementwise bitwise and of integers with broadcasting"},
		{"BitwiseOr", "elementwise bitwise or of integers with broadcasting"},
		{"BitwiseXor", "elementwise bitwise xor of integers with broadcasting"},
	} {
		Register(&OpDef{Name: op.name, Doc: op.doc, Kind: Broadcast, Traits: Commutative | InPlace,
			Inputs: In("A:T", "B:T"), Outputs: In("C:T"), Types: []TypeConstraint{TC("T", IntTypes)},
			Infer: inferBroadcastSameDType})
	}
	Register(&OpDef{Name: "BitwiseNot", Doc: "elementwise bitwise complement of integers", Kind: Elementwise,
		Traits: InPlace, Inputs: In("X:T"), Outputs: In("Y:T"), Types: []TypeConstraint{TC("T", IntTypes)},
		Infer: InferSameAsInput})
	// BitCast-26 reinterprets each element's bytes (little endian) as
	// another type of the same width.
	Register(&OpDef{Name: "BitCast", Doc: "reinterprets each element's bits as element type to, of the same width",
		Kind: Elementwise, Inputs: In("input:T1"), Outputs: In("output:T2"),
		Types: []TypeConstraint{TC("T1", AllTypes&^StringType), TC("T2", AllTypes&^StringType)},
		Attrs: []AttrDef{ARequired("to", AttrDType)}, Infer: inferBitCast})

	Register(&OpDef{Name: "Clip", Doc: "elementwise clamp of input to [min, max] (absent bounds: the type's range)",
		Kind: Broadcast, Traits: InPlace, Inputs: []Operand{Req("input:T"), Opt("min:T"), Opt("max:T")}, Outputs: In("output:T"),
		Types: []TypeConstraint{TC("T", NumericTypes)}, Infer: InferSameAsInput})

	// Logic and comparisons (bool results). Equal-13 also compares bools,
	// Equal-19 strings (kiln accepts them at every version).
	for _, op := range []struct {
		name, doc string
		types     TypeSet
		traits    Trait
	}{
		{"And", "elementwise logical and of bool tensors with broadcasting", BoolType, Commutative | InPlace},
		{"Or", "elementwise logical or of bool tensors with broadcasting", BoolType, Commutative | InPlace},
		{"Xor", "elementwise logical xor of bool tensors with broadcasting", BoolType, Commutative | InPlace},
		{"Equal", "elementwise A == B with broadcasting", NumericTypes | BoolType | StringType, Commutative},
		{"Greater", "elementwise A > B with broadcasting", NumericTypes, 0},
		{"Less", "elementwise A < B with broadcasting", NumericTypes, 0},
		{"GreaterOrEqual", "elementwise A >= B with broadcasting", NumericTypes, 0},
		{"LessOrEqual", "elementwise A <= B with broadcasting", NumericTypes, 0},
	} {
		Register(&OpDef{Name: op.name, Doc: op.doc, Kind: Broadcast, Traits: op.traits,
			Inputs: In("A:T", "B:T"), Outputs: In("C:T1"),
			Types: []TypeConstraint{TC("T", op.types), TC("T1", BoolType)}, Infer: inferCompare,
			ShapeValue: arithShapeValue[op.name]})
	}
	Register(&OpDef{Name: "IsNaN", Doc: "elementwise test for NaN", Kind: Elementwise,
		Inputs: In("X:T1"), Outputs: In("Y:T2"), Types: []TypeConstraint{TC("T1", FloatTypes), TC("T2", BoolType)},
		Infer: inferSameShapeBool})
	// IsInf-10 is declared for float32 and float64 only; IsInf-20 adds
	// float16 and bfloat16, which kiln accepts at every version.
	Register(&OpDef{Name: "IsInf", Doc: "elementwise test for infinity (of the signs selected by detect_negative/detect_positive)",
		Kind: Elementwise, Inputs: In("X:T1"), Outputs: In("Y:T2"),
		Types: []TypeConstraint{TC("T1", FloatTypes), TC("T2", BoolType)},
		Attrs: []AttrDef{ABool("detect_negative", 1), ABool("detect_positive", 1)}, Infer: inferSameShapeBool})

	Register(&OpDef{Name: "Where", Doc: "elementwise condition ? X : Y with broadcasting of all three",
		Kind: Broadcast, Inputs: In("condition:B", "X:T", "Y:T"), Outputs: In("output:T"),
		Types: []TypeConstraint{TC("B", BoolType), TC("T", AllTypes)}, Infer: inferWhere,
		ShapeValue: shapeValueWhere})

	// Variadic folds; ONNX broadcasts them multidirectionally since opset 8.
	// Sum-13 and Mean-13 are declared for floats; kiln also sums integers
	// (a leniency).
	for _, op := range []struct {
		name, doc string
		types     TypeSet
	}{
		{"Sum", "elementwise sum of all operands with broadcasting", NumericTypes},
		{"Max", "elementwise maximum of all operands with broadcasting", NumericTypes},
		{"Min", "elementwise minimum of all operands with broadcasting", NumericTypes},
		{"Mean", "elementwise mean of all operands with broadcasting", FloatTypes},
	} {
		Register(&OpDef{Name: op.name, Doc: op.doc, Kind: Broadcast, Traits: Commutative | InPlace,
			Inputs: []Operand{Var("data_0:T")}, Outputs: In("result:T"), Types: []TypeConstraint{TC("T", op.types)},
			Infer:      inferBroadcastSameDType,
			ShapeValue: arithShapeValue[op.name]})
	}

	// Cast-13 and CastLike-15 convert between every non-complex type;
	// -19 added the float8 types and saturate (which only acts on
	// conversions to float8: out-of-range values and infinities become the
	// largest finite value instead of NaN or infinity), -21 int4 and uint4,
	// -23 float4e2m1.
	castTypes := AllTypes&^ComplexTypes | NarrowTypes
	// Cast also decodes ggml's block types (to any type it casts f32 to):
	// the one way a block-quantized value enters computation.
	Register(&OpDef{Name: "Cast", Doc: "elementwise conversion to element type to (numbers, bool, string, narrow types; block types decode)",
		Kind: Elementwise, Inputs: In("input:T1"), Outputs: In("output:T2"),
		Types: []TypeConstraint{TC("T1", castTypes|BlockTypes), TC("T2", castTypes)},
		Attrs: []AttrDef{ARequired("to", AttrDType), AInt("saturate", 1).Range(0, 1)}, Infer: inferCast,
		ShapeValue: shapeValueCast})
	Register(&OpDef{Name: "CastLike", Doc: "elementwise conversion to the element type of target_type",
		Kind: Elementwise, Inputs: In("input:T1", "target_type:T2"), Outputs: In("output:T2"),
		Types: []TypeConstraint{TC("T1", castTypes), TC("T2", castTypes)},
		Attrs: []AttrDef{AInt("saturate", 1).Range(0, 1)}, Infer: inferCastLike})

	Register(&OpDef{Name: "Identity", Doc: "returns its operand (tensor, sequence or optional)",
		Kind: Elementwise, Traits: View, Inputs: In("input:V"), Outputs: In("output:V"),
		Types: []TypeConstraint{TCOf("V", AnyKind, MovableTypes)}, Infer: InferSameAsInput,
		ShapeValue: shapeValuePassThrough})
}

// inferBroadcastSameDType is InferBroadcast for ops whose operands must all
// have one element type (every binary op but Pow, whose exponent may differ).
func inferBroadcastSameDType(op *Op) ([]Type, error) {
	if err := checkSameDType(op.Args); err != nil {
		return nil, err
	}
	return InferBroadcast(op)
}

func inferCompare(op *Op) ([]Type, error) {
	if err := checkSameDType(op.Args); err != nil {
		return nil, err
	}
	return InferBroadcastBool(op)
}

// checkSameDType errors when two present operands of known element type
// differ; an unknown element type (from a model that did not say) passes.
func checkSameDType(args []*Value) error {
	d := InvalidDType
	for _, a := range args {
		if a == nil || !a.Type.IsTensor() || a.Type.DType == InvalidDType {
			continue
		}
		if d != InvalidDType && a.Type.DType != d {
			return fmt.Errorf("operand element types differ: %v and %v", d, a.Type.DType)
		}
		d = a.Type.DType
	}
	return nil
}

func inferSameShapeBool(op *Op) ([]Type, error) {
	x := op.Arg(0)
	if x == nil || !x.Type.IsTensor() {
		return nil, fmt.Errorf("want a tensor operand")
	}
	return []Type{TensorType(Bool, x.Type.Shape)}, nil
}

func inferWhere(op *Op) ([]Type, error) {
	c, x := op.Arg(0), op.Arg(1)
	if x == nil || !x.Type.IsTensor() {
		return nil, fmt.Errorf("X: want a tensor operand")
	}
	if c != nil && c.Type.IsTensor() && c.Type.DType != InvalidDType && c.Type.DType != Bool {
		return nil, fmt.Errorf("condition is %v, want bool", c.Type.DType)
	}
	if err := checkSameDType(op.Args[1:]); err != nil {
		return nil, err
	}
	ts, err := InferBroadcast(op)
	if err != nil {
		return nil, err
	}
	ts[0].DType = x.Type.DType
	return ts, nil
}

func inferCast(op *Op) ([]Type, error) {
	x := op.Arg(0)
	if x == nil || !x.Type.IsTensor() {
		return nil, fmt.Errorf("want a tensor operand")
	}
	to, ok := op.Attr("to")
	if !ok || to.Kind != AttrDType || !to.DType.Valid() {
		return nil, fmt.Errorf("attribute to: want an element type")
	}
	return []Type{TensorType(to.DType, x.Type.Shape)}, nil
}

func inferBitCast(op *Op) ([]Type, error) {
	ts, err := inferCast(op)
	if err != nil {
		return nil, err
	}
	from, to := op.Arg(0).Type.DType, ts[0].DType
	if from == String || to == String {
		return nil, fmt.Errorf("cannot bitcast strings")
	}
	if from.Size() != to.Size() {
		return nil, fmt.Errorf("cannot bitcast %v (%d bytes) to %v (%d bytes)", from, from.Size(), to, to.Size())
	}
	return ts, nil
}

func inferCastLike(op *Op) ([]Type, error) {
	x, t := op.Arg(0), op.Arg(1)
	if x == nil || t == nil || !x.Type.IsTensor() || !t.Type.IsTensor() {
		return nil, fmt.Errorf("want two tensor operands")
	}
	return []Type{TensorType(t.Type.DType, x.Type.Shape)}, nil
}

// arithShapeValue holds the ShapeValue hooks of the arithmetic and
// comparison ops that exporters compute shapes with, by op name.
var arithShapeValue = map[string]ShapeValueFunc{
	"Add": binaryShapeValue(Dim.Add),
	"Sub": binaryShapeValue(Dim.Sub),
	"Mul": binaryShapeValue(Dim.Mul),
	"Div": binaryShapeValue(truncDivDim),
	"Neg": func(op *Op, arg func(int) ([]Dim, bool)) ([]Dim, bool) {
		return broadcastElems(arg, 1, func(x []Dim) Dim { return x[0].Neg() })
	},
	"Equal": binaryShapeValue(equalDim),
	"Not": func(op *Op, arg func(int) ([]Dim, bool)) ([]Dim, bool) {
		return broadcastElems(arg, 1, func(x []Dim) Dim { return notDim(x[0]) })
	},
	"Sum": foldShapeValue(Dim.Add),
	"Max": foldShapeValue(maxDim),
	"Min": foldShapeValue(func(x, y Dim) Dim { return maxDim(x.Neg(), y.Neg()).Neg() }),
}

// binaryShapeValue applies f elementwise to two broadcast operands.
func binaryShapeValue(f func(x, y Dim) Dim) ShapeValueFunc {
	return func(op *Op, arg func(int) ([]Dim, bool)) ([]Dim, bool) {
		return broadcastElems(arg, 2, func(x []Dim) Dim { return f(x[0], x[1]) })
	}
}

// foldShapeValue folds f over any number of broadcast operands.
func foldShapeValue(f func(x, y Dim) Dim) ShapeValueFunc {
	return func(op *Op, arg func(int) ([]Dim, bool)) ([]Dim, bool) {
		return broadcastElems(arg, len(op.Args), func(x []Dim) Dim {
			acc := x[0]
			for _, y := range x[1:] {
				acc = f(acc, y)
			}
			return acc
		})
	}
}

// truncDivDim is integer Div, which truncates toward zero: an expression
// only where truncation and floor division agree (a nonnegative dividend
// and a positive constant divisor, or an exact division).
func truncDivDim(x, y Dim) Dim {
	if a, ok := x.Int(); ok {
		if b, ok := y.Int(); ok {
			if b == 0 || (a == math.MinInt64 && b == -1) {
				return Unknown()
			}
			return DimInt(a / b)
		}
	}
	if b, ok := y.Int(); ok {
		if b > 0 && isNonNegative(x) {
			return x.FloorDiv(y)
		}
		return Unknown()
	}
	return x.FloorDiv(y) // known only when exact
}

// equalDim is 1 or 0 when the comparison is decided: equal expressions,
// or a difference that is a nonzero constant or provably nonzero (a dim
// read off a shape is never negative, so it never equals -1).
func equalDim(x, y Dim) Dim {
	if x.IsUnknown() || y.IsUnknown() {
		return Unknown()
	}
	if x.Equal(y) {
		return Static(1)
	}
	diff := x.Sub(y)
	if lo, ok := diff.LowerBound(nil); ok && lo > 0 {
		return Static(0)
	}
	if hi, ok := diff.UpperBound(nil); ok && hi < 0 {
		return Static(0)
	}
	return Unknown()
}

// maxDim is the larger of x and y when their difference has a known sign.
func maxDim(x, y Dim) Dim {
	diff := x.Sub(y)
	switch {
	case isNonNegative(diff):
		return x
	case isNonNegative(diff.Neg()):
		return y
	}
	return Unknown()
}

// shapeValueWhere selects elementwise where the condition is known
// (exporters write Expand's shape as Where(Equal(shape, -1), 1, shape)).
func shapeValueWhere(op *Op, arg func(int) ([]Dim, bool)) ([]Dim, bool) {
	return broadcastElems(arg, 3, func(x []Dim) Dim {
		c, ok := x[0].Int()
		switch {
		case !ok:
			return Unknown()
		case c != 0:
			return x[1]
		}
		return x[2]
	})
}

// shapeValueCast keeps the elements of a cast between integer types wide
// enough for any dim (i32, i64).
func shapeValueCast(op *Op, arg func(int) ([]Dim, bool)) ([]Dim, bool) {
	d, ok := op.Attr("to")
	in := op.Arg(0)
	if !ok || d.Kind != AttrDType || in == nil || !in.Type.IsTensor() || !(in.Type.DType.IsInt() || in.Type.DType == Bool) {
		return nil, false
	}
	switch d.DType {
	case I64, I32:
		return arg(0)
	case Bool:
		// Exporters test a dim for zero by casting it to bool.
		return broadcastElems(arg, 1, func(x []Dim) Dim { return notDim(equalDim(x[0], Static(0))) })
	}
	return nil, false
}

// notDim is logical not of a 0/1 element.
func notDim(x Dim) Dim {
	if n, ok := x.Int(); ok {
		return Static(shapeValueBool(n == 0))
	}
	return Unknown()
}
