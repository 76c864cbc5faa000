package codegen

import (
	_ "embed"
	"fmt"
	"strconv"
	"strings"

	"github.com/kiln-ml/kiln/ir"
)

// String tensors in compiled code. A string value is a []string that Run
// allocates on each call (storage inStr): strings have no fixed size, so
// they have no place in the arenas or the weights blob. String constants
// are Go literals in Run; the package's Tensor gains a Str field when an
// input or output is a string tensor. Only the ops of stringOps (and the
// views) take strings: Cast and CastLike to and from numbers and bool,
// with the interpreter's formatting and parsing rules, and
// StringNormalizer, whose result's length depends on the data unless
// the module gives it (then Run checks it).

//go:embed kernels/generic_string.go
var stringSource string

func init() {
	goElem[ir.String] = "string"
	tensorField[ir.String] = "Str"
	ioTypes[ir.String] = true
	extendedEmitters["Cast"] = emitCastString("Cast")
	extendedEmitters["CastLike"] = emitCastString("CastLike")
	emitters["StringNormalizer"] = emitStringNormalizer
	genericLibs = append(genericLibs, genericLib{"strings.go", &stringSource, []string{"strFromFloat(", "strFromInt(", "strFromUint(", "strFromBool(", "strToF32(", "strToF64(", "strToBool(", "strToInt(", "strToUint(", "normalizeStrings("}})
}

// stringOps are the ops whose kernels take string tensors.
var stringOps = map[string]bool{"Cast": true, "CastLike": true, "StringNormalizer": true}

// checkStringTypes refuses an op on strings that stringOps does not list,
// whose kernel would treat them as numbers.
func checkStringTypes(op *ir.Op) error {
	if stringOps[op.Name] {
		return nil
	}
	for _, v := range append(append([]*ir.Value{}, op.Args...), op.Results...) {
		if v != nil && v.Type.Kind == ir.TensorKind && v.Type.DType == ir.String {
			return fmt.Errorf("%s on strings: codegen compiles only Cast, CastLike and StringNormalizer (and the views) on string tensors so far", op.Name)
		}
	}
	return nil
}

// stringConst records a string constant: its elements become a Go
// literal in Run.
func (g *graph) stringConst(x *val) *val {
	x.where = inStr
	x.strs = x.v.Const.Strings
	g.strConsts = append(g.strConsts, x)
	return x
}

// stringLiteral spells strs as a Go []string literal.
func stringLiteral(strs []string) string {
	parts := make([]string, len(strs))
	for i, s := range strs {
		parts[i] = strconv.Quote(s)
	}
	return "[]string{" + strings.Join(parts, ", ") + "}"
}

// emitCastString wraps the emitter of op (Cast or CastLike, looked up
// when called): a cast from or to strings calls the string conversions of
// generic_string.go, any other is the base emitter's.
func emitCastString(op string) emitter {
	return func(c *opCtx) (*kernel, error) {
		from, to := c.op.Args[0].Type.DType, c.op.Results[0].Type.DType
		if from != ir.String && to != ir.String {
			return emitters[op](c)
		}
		xs, err := c.arg(0)
		if err != nil {
			return nil, err
		}
		n := numel(xs)
		shapes := fmt.Sprintf("%s -> %s", dtypeText(from, xs), dtypeText(to, xs))
		k := &kernel{in: c.op.Args[:1], params: []string{"x", "y"}, nout: 1, comment: c.op.Name + " " + shapes, shapes: shapes}
		call, fails, err := stringCastCall(from, to)
		if err != nil {
			return nil, err
		}
		if fails {
			k.fails = true
			k.body = fmt.Sprintf("if err := %s(x[:%d], y[:%d]%s); err != nil {\nreturn err\n}\n", call.fn, n, n, call.extra)
		} else {
			k.body = fmt.Sprintf("%s(x[:%d], y[:%d]%s)\n", call.fn, n, n, call.extra)
		}
		return k, nil
	}
}

// stringCast names the generic kernel converting between strings and
// another element type and its extra arguments.
type stringCast struct{ fn, extra string }

// stringCastCall returns the conversion from from to to (one of them
// string) and whether it may fail (a string that is no number).
func stringCastCall(from, to ir.DType) (stringCast, bool, error) {
	if from == to {
		return stringCast{"copy", ""}, false, nil
	}
	if to == ir.String {
		switch {
		case from == ir.F32:
			return stringCast{"strFromFloat", ", 32"}, false, nil
		case from == ir.F64:
			return stringCast{"strFromFloat", ", 64"}, false, nil
		case from == ir.Bool:
			return stringCast{"strFromBool", ""}, false, nil
		case from.IsInt() && from.Info().Signed:
			return stringCast{"strFromInt", ""}, false, nil
		case from.IsInt():
			return stringCast{"strFromUint", ""}, false, nil
		}
		return stringCast{}, false, fmt.Errorf("cast from %s to string: not supported", from)
	}
	switch {
	case to == ir.F32:
		return stringCast{"strToF32", ""}, true, nil
	case to == ir.F64:
		return stringCast{"strToF64", ""}, true, nil
	case to == ir.Bool:
		return stringCast{"strToBool", ""}, true, nil
	case to == ir.U64:
		return stringCast{"strToUint", ", true"}, true, nil
	case to.IsInt() && to.Info().Signed:
		return stringCast{"strToInt", ""}, true, nil
	case to.IsInt():
		return stringCast{"strToUint", ", false"}, true, nil
	}
	return stringCast{}, false, fmt.Errorf("cast from string to %s: not supported", to)
}

// emitStringNormalizer writes StringNormalizer over a [C] or [1, C]
// string tensor. The result's length depends on the data (stopwords are
// dropped); when the module gives it a static shape the kernel fills that
// buffer and Run checks the length, otherwise the kernel allocates the
// result on the heap.
func emitStringNormalizer(c *opCtx) (*kernel, error) {
	xs, err := c.arg(0)
	if err != nil {
		return nil, err
	}
	if c.op.Args[0].Type.DType != ir.String || !(len(xs) == 1 || len(xs) == 2 && xs[0] == 1) {
		return nil, fmt.Errorf("input is %s, want string[C] or string[1,C]", dtypeText(c.op.Args[0].Type.DType, xs))
	}
	action := c.op.Str("case_change_action")
	switch action {
	case "NONE", "LOWER", "UPPER":
	default:
		return nil, fmt.Errorf("case_change_action %q: want NONE, LOWER or UPPER", action)
	}
	call := fmt.Sprintf("normalizeStrings(x[:%d], %s, %t, %q)", numel(xs), stringLiteral(c.op.Strings("stopwords")), c.op.Int("is_case_sensitive") != 0, action)
	comment := fmt.Sprintf("StringNormalizer (%s, case sensitive %t, %d stopwords) of %s", action, c.op.Int("is_case_sensitive") != 0, len(c.op.Strings("stopwords")), dtypeText(ir.String, xs))
	shapes := dtypeText(ir.String, xs)
	if ys, err := c.out(0); err == nil {
		n := numel(ys)
		body := fmt.Sprintf("d := %s\nif len(d) != %d {\nreturn fmt.Errorf(\"%%d strings, the model was compiled for %d\", len(d))\n}\ncopy(y[:%d], d)\n", call, n, n, n)
		return &kernel{in: c.op.Args[:1], params: []string{"x", "y"}, nout: 1, fails: true, comment: comment, body: body, shapes: shapes}, nil
	}
	shape := "[]int{len(d)}"
	if len(xs) == 2 {
		shape = "[]int{1, len(d)}"
	}
	body := "d := " + call + "\n" + heapTensor("y", ir.String, shape, "d")
	return &kernel{in: c.op.Args[:1], params: []string{"x", "y"}, nout: 1, heap: true, comment: comment, body: body, shapes: shapes}, nil
}

// usesStrings reports whether an input or output of the function is a
// string tensor: then the package's Tensor has a Str field.
func (g *graph) usesStrings() bool {
	for _, x := range g.inputs {
		if x.dtype == ir.String {
			return true
		}
	}
	for _, r := range g.f.Body.Results {
		if r.Type.Kind == ir.TensorKind && r.Type.DType == ir.String {
			return true
		}
	}
	return false
}

// withStringField adds to the Tensor type and checkInput (src, their Go
// text) the Str field when the package passes strings; numeric packages
// keep their API unchanged.
func (g *graph) withStringField(src string) string {
	if !g.usesStrings() {
		return src
	}
	// Inserted before Bool's lines, which withExtraFields extends.
	src = strings.Replace(src, "\t// Bool holds bool elements.\n", "\t// Str holds string elements (Go strings: any bytes, UTF-8 by\n\t// convention).\n\tStr []string\n\t// Bool holds bool elements.\n", 1)
	src = strings.Replace(src, "t.Shape == nil && ", "t.Shape == nil && t.Str == nil && ", 1)
	src = strings.Replace(src, "\tcase \"bool\":\n", "\tcase \"string\":\n\t\tn, ok = len(t.Str), t.Str != nil\n\tcase \"bool\":\n", 1)
	return src
}
