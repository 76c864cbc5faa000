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
	// Binary arithmetic with numpy broadcasting (ONNX 7+ semantics).
	for _, op := range []struct{ name, doc string }{
		{"Add", "elementwise A + B with numpy broadcasting"},
		{"Sub", "elementwise A - B with numpy broadcasting"},
		{"Mul", "elementwise A * B with numpy broadcasting"},
		{"Div", "elementwise A / B with numpy broadcasting (integers truncate toward zero)"},
	} {
		Register(&OpDef{Name: op.name, Doc: op.doc, Kind: Broadcast,
			Inputs: In("A", "B"), Outputs: In("C"), Infer: inferBroadcastSameDType,
			ShapeValue: arithShapeValue[op.name]})
	}
	Register(&OpDef{Name: "Pow", Doc: "elementwise X ** Y with broadcasting; the result has X's type",
		Kind: Broadcast, Inputs: In("X", "Y"), Outputs: In("Z"), Infer: InferBroadcast})
	Register(&OpDef{Name: "Mod", Doc: "elementwise remainder: sign of the divisor, or of the dividend when fmod=1",
		Kind: Broadcast, Inputs: In("A", "B"), Outputs: In("C"), Attrs: []AttrDef{AInt("fmod", 0)},
		Infer: inferBroadcastSameDType})
	Register(&OpDef{Name: "BitShift", Doc: "elementwise X << Y or X >> Y of unsigned integers (direction LEFT or RIGHT)",
		Kind: Broadcast, Inputs: In("X", "Y"), Outputs: In("Z"),
		Attrs: []AttrDef{ARequired("direction", AttrString)}, Infer: inferBroadcastSameDType})
	Register(&OpDef{Name: "PRelu", Doc: "X where X >= 0, else slope * X; slope broadcasts to X",
		Kind: Broadcast, Inputs: In("X", "slope"), Outputs: In("Y"), Infer: inferBroadcastSameDType})

	// Unary math and activations without attributes.
	for _, op := range []struct{ name, doc string }{
		{"Abs", "elementwise |X|"},
		{"Neg", "elementwise -X"},
		{"Sign", "elementwise sign of X: -1, 0 or 1"},
		{"Ceil", "elementwise ceiling"},
		{"Floor", "elementwise floor"},
		{"Round", "elementwise round to nearest, halves to even"},
		{"Reciprocal", "elementwise 1 / X"},
		{"Sqrt", "elementwise square root"},
		{"Exp", "elementwise e ** X"},
		{"Log", "elementwise natural logarithm"},
		{"Erf", "elementwise Gauss error function"},
		{"Sin", "elementwise sine"},
		{"Cos", "elementwise cosine"},
		{"Tan", "elementwise tangent"},
		{"Asin", "elementwise arcsine"},
		{"Acos", "elementwise arccosine"},
		{"Atan", "elementwise arctangent"},
		{"Sinh", "elementwise hyperbolic sine"},
		{"Cosh", "elementwise hyperbolic cosine"},
		{"Asinh", "elementwise inverse hyperbolic sine"},
		{"Acosh", "elementwise inverse hyperbolic cosine"},
		{"Atanh", "elementwise inverse hyperbolic tangent"},
		{"Tanh", "elementwise hyperbolic tangent"},
		{"Sigmoid", "elementwise 1 / (1 + e ** -X)"},
		{"HardSwish", "elementwise X * max(0, min(1, X/6 + 1/2))"},
		{"Relu", "elementwise max(0, X)"},
		{"Softplus", "elementwise ln(e ** X + 1)"},
		{"Softsign", "elementwise X / (1 + |X|)"},
		{"Not", "elementwise logical not of a bool tensor"},
	} {
		Register(&OpDef{Name: op.name, Doc: op.doc, Kind: Elementwise,
			Inputs: In("X"), Outputs: In("Y"), Infer: InferSameAsInput,
			ShapeValue: arithShapeValue[op.name]})
	}

	// Unary activations with attributes.
	unaryAttrs := func(name, doc string, attrs ...AttrDef) {
		Register(&OpDef{Name: name, Doc: doc, Kind: Elementwise,
			Inputs: In("X"), Outputs: In("Y"), Attrs: attrs, Infer: InferSameAsInput})
	}
	unaryAttrs("HardSigmoid", "elementwise max(0, min(1, alpha*X + beta))", AFloat("alpha", 0.2), AFloat("beta", 0.5))
	unaryAttrs("LeakyRelu", "elementwise X where X >= 0, else alpha * X", AFloat("alpha", 0.01))
	unaryAttrs("Elu", "elementwise X where X >= 0, else alpha * (e ** X - 1)", AFloat("alpha", 1))
	unaryAttrs("Selu", "elementwise gamma * (X where X > 0, else alpha * (e ** X - 1))",
		AFloat("alpha", seluAlpha), AFloat("gamma", seluGamma))
	unaryAttrs("Celu", "elementwise max(0, X) + min(0, alpha * (e ** (X/alpha) - 1))", AFloat("alpha", 1))
	unaryAttrs("ThresholdedRelu", "elementwise X where X > alpha, else 0", AFloat("alpha", 1))
	unaryAttrs("Shrink", "elementwise X+bias where X < -lambd, X-bias where X > lambd, else 0",
		AFloat("bias", 0), AFloat("lambd", 0.5))

	Register(&OpDef{Name: "Clip", Doc: "elementwise clamp of input to [min, max] (absent bounds: the type's range)",
		Kind: Broadcast, Inputs: []Operand{{Name: "input"}, Opt("min"), Opt("max")}, Outputs: In("output"),
		Infer: InferSameAsInput})

	// Logic and comparisons (bool results).
	for _, op := range []struct{ name, doc string }{
		{"And", "elementwise logical and of bool tensors with broadcasting"},
		{"Or", "elementwise logical or of bool tensors with broadcasting"},
		{"Xor", "elementwise logical xor of bool tensors with broadcasting"},
		{"Equal", "elementwise A == B with broadcasting"},
		{"Greater", "elementwise A > B with broadcasting"},
		{"Less", "elementwise A < B with broadcasting"},
		{"GreaterOrEqual", "elementwise A >= B with broadcasting"},
		{"LessOrEqual", "elementwise A <= B with broadcasting"},
	} {
		Register(&OpDef{Name: op.name, Doc: op.doc, Kind: Broadcast,
			Inputs: In("A", "B"), Outputs: In("C"), Infer: inferCompare,
			ShapeValue: arithShapeValue[op.name]})
	}
	Register(&OpDef{Name: "IsNaN", Doc: "elementwise test for NaN", Kind: Elementwise,
		Inputs: In("X"), Outputs: In("Y"), Infer: inferSameShapeBool})
	Register(&OpDef{Name: "IsInf", Doc: "elementwise test for infinity (of the signs selected by detect_negative/detect_positive)",
		Kind: Elementwise, Inputs: In("X"), Outputs: In("Y"),
		Attrs: []AttrDef{AInt("detect_negative", 1), AInt("detect_positive", 1)}, Infer: inferSameShapeBool})

	Register(&OpDef{Name: "Where", Doc: "elementwise condition ? X : Y with broadcasting of all three",
		Kind: Broadcast, Inputs: In("condition", "X", "Y"), Outputs: In("output"), Infer: inferWhere,
		ShapeValue: shapeValueWhere})

	// Variadic folds; ONNX broadcasts them multidirectionally since opset 8.
	for _, op := range []struct{ name, doc string }{
		{"Sum", "elementwise sum of all operands with broadcasting"},
		{"Max", "elementwise maximum of all operands with broadcasting"},
		{"Min", "elementwise minimum of all operands with broadcasting"},
		{"Mean", "elementwise mean of all operands with broadcasting"},
	} {
		Register(&OpDef{Name: op.name, Doc: op.doc, Kind: Broadcast,
			Inputs: []Operand{Var("data_0")}, Outputs: In("result"), Infer: inferBroadcastSameDType,
			ShapeValue: arithShapeValue[op.name]})
	}

	Register(&OpDef{Name: "Cast", Doc: "elementwise conversion to element type to (numbers, bool, string)",
		Kind: Elementwise, Inputs: In("input"), Outputs: In("output"),
		Attrs: []AttrDef{ARequired("to", AttrDType)}, Infer: inferCast, ShapeValue: shapeValueCast})
	Register(&OpDef{Name: "CastLike", Doc: "elementwise conversion to the element type of target_type",
		Kind: Elementwise, Inputs: In("input", "target_type"), Outputs: In("output"), Infer: inferCastLike})

	Register(&OpDef{Name: "Identity", Doc: "returns its operand (tensor, sequence or optional)",
		Kind: Elementwise, Inputs: In("input"), Outputs: In("output"), Infer: InferSameAsInput,
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
