package codegen

import (
	"fmt"
	"strings"

	"github.com/kiln-ml/kiln/ir"
)

// seqTypesFile is the generated file holding the Sequence and Optional
// types and their checks, written when the package uses them.
const seqTypesFile = "seqtypes.go"

// ioType is the Go type of an input's or output's field.
func ioType(x *val) string {
	if x.v.Type.Kind == ir.TensorKind {
		return "Tensor"
	}
	return goType(x)
}

// namedType is the value type of RunNamed's maps: Tensor, or any when an
// input or output is a sequence or an optional.
func (g *graph) namedType() string {
	for _, x := range g.inputs {
		if x.v.Type.Kind != ir.TensorKind {
			return "any"
		}
	}
	for _, r := range g.f.Body.Results {
		if r.Type.Kind != ir.TensorKind {
			return "any"
		}
	}
	return "Tensor"
}

// usesSeqTypes reports whether the package needs seqtypes.go: a value of
// the function is a sequence or an optional, or a tensor is boxed.
func (g *graph) usesSeqTypes() bool {
	for _, x := range g.vals {
		if boxed(x) && (x.v.Type.Kind != ir.TensorKind || x.v.Def == nil || seqEmitters[x.v.Def.Name] != nil || boxedEmitters[x.v.Def.Name] != nil) {
			return true
		}
	}
	for _, fn := range g.funcs {
		if strings.Contains(fn.body, "shapeIs(") {
			return true
		}
	}
	return false
}

// describeBoxed is the doc text of a sequence or optional input or
// output.
func (g *graph) describeBoxed(x *val) string {
	shape := leafText(x)[len(x.dtype.String()):]
	elem := fmt.Sprintf("%s tensors (field %s) of shape %s", goElem[x.dtype], tensorField[x.dtype], shape)
	switch {
	case shape == "[*]":
		elem += " (any rank)"
	case strings.Contains(shape, "?"):
		elem += " (? marks a dim each item gives)"
	}
	switch {
	case x.v.Type.Kind == ir.SequenceKind:
		return "a Sequence of " + elem
	case x.v.Type.Elem != nil && x.v.Type.Elem.Kind == ir.SequenceKind:
		return "an Optional holding, when Present, a Sequence (field Sequence) of " + elem
	}
	return "an Optional holding, when Present, a tensor (field Tensor) of " + goElem[x.dtype] + " (field " + tensorField[x.dtype] + "), shape " + leafText(x)[len(x.dtype.String()):]
}

// checkBoxedInput is the Go call checking a sequence or optional input
// (expression in) against its type.
func (g *graph) checkBoxedInput(x *val, name, in string) string {
	ranked := x.shape != nil
	want := ""
	if ranked {
		want = ", " + shapeList(x.shape)
	}
	if x.v.Type.Kind == ir.SequenceKind {
		return fmt.Sprintf("checkSequence(%q, %s, %q, %v%s)", name, in, elemName(x.dtype), ranked, want)
	}
	seq := x.v.Type.Elem != nil && x.v.Type.Elem.Kind == ir.SequenceKind
	return fmt.Sprintf("checkOptional(%q, %s, %v, %q, %v%s)", name, in, seq, elemName(x.dtype), ranked, want)
}

// seqTypesSource writes seqtypes.go: the Sequence and Optional types, the
// checks of such inputs, the copies Run hands out and shapeIs.
func (g *graph) seqTypesSource(opts Options) string {
	var b strings.Builder
	b.WriteString(header(opts))
	fmt.Fprintf(&b, "package %s\n\nimport \"fmt\"\n\n", opts.Package)
	b.WriteString(`// Sequence is an ONNX sequence: tensors of one element type, each with
// its own shape. Run reads the sequences it is given and never writes
// them; the sequences it returns are its own.
type Sequence []Tensor

// Optional is an ONNX optional: a value, or nothing. Present says which;
// the value is in Tensor or in Sequence, as the model's type for it says
// (the doc comments of Inputs and Outputs), and the other field is unused.
type Optional struct {
	// Present reports whether the optional holds a value.
	Present bool
	// Tensor is the value of an optional tensor.
	Tensor Tensor
	// Sequence is the value of an optional sequence.
	Sequence Sequence
}

// shapeIs returns an error unless got equals want.
func shapeIs(got, want []int) error {
	if len(got) != len(want) {
		return fmt.Errorf("item of shape %v, the model gives it %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			return fmt.Errorf("item of shape %v, the model gives it %v", got, want)
		}
	}
	return nil
}

// checkItem is checkInput for a tensor inside a sequence or optional:
// the dims want gives as -1 take t's, and with ranked false its whole
// shape is free.
func checkItem(name string, t Tensor, elem string, ranked bool, want ...int) error {
	w := append([]int(nil), t.Shape...)
	if ranked {
		if len(t.Shape) != len(want) {
			return fmt.Errorf("input %q: shape %v has rank %d, want %d", name, t.Shape, len(t.Shape), len(want))
		}
		for i, d := range want {
			if d >= 0 {
				w[i] = d
			}
		}
	}
	if t.Shape == nil {
		// A scalar given without a shape.
		t.Shape = []int{}
	}
	return checkInput(name, t, elem, w...)
}

// checkSequence checks every item of a sequence input with checkItem.
func checkSequence(name string, s Sequence, elem string, ranked bool, want ...int) error {
	for i, t := range s {
		if err := checkItem(fmt.Sprintf("%s[%d]", name, i), t, elem, ranked, want...); err != nil {
			return err
		}
	}
	return nil
}

// checkOptional checks the value of an optional input, when it has one:
// a sequence (seq set) or a tensor.
func checkOptional(name string, o Optional, seq bool, elem string, ranked bool, want ...int) error {
	switch {
	case !o.Present:
		return nil
	case seq:
		return checkSequence(name, o.Sequence, elem, ranked, want...)
	}
	return checkItem(name, o.Tensor, elem, ranked, want...)
}

// cloneSlice copies s, keeping nil nil.
func cloneSlice[T any](s []T) []T {
	if s == nil {
		return nil
	}
	return append(make([]T, 0, len(s)), s...)
}

// cloneSequence copies a sequence and its tensors: an output shares
// nothing with the inputs.
func cloneSequence(s Sequence) Sequence {
	out := make(Sequence, len(s))
	for i, t := range s {
		out[i] = cloneTensor(t)
	}
	return out
}

// cloneOptional copies an optional and its value.
func cloneOptional(o Optional) Optional {
	if !o.Present {
		return Optional{}
	}
	return Optional{Present: true, Tensor: cloneTensor(o.Tensor), Sequence: cloneSequence(o.Sequence)}
}

`)
	b.WriteString("// cloneTensor copies a tensor's shape and elements.\nfunc cloneTensor(t Tensor) Tensor {\nreturn Tensor{Shape: cloneSlice(t.Shape)")
	fields := []string{"F32", "I64", "F64", "I32", "Bool"}
	for _, d := range g.extraIOTypes() {
		fields = append(fields, tensorField[d])
	}
	for _, f := range fields {
		fmt.Fprintf(&b, ", %s: cloneSlice(t.%s)", f, f)
	}
	b.WriteString("}\n}\n")
	return b.String()
}

// ioKind is the manifest's kind of a sequence or optional type.
func ioKind(t ir.Type) string {
	switch {
	case t.Kind == ir.SequenceKind:
		return "sequence"
	case t.Elem != nil && t.Elem.Kind == ir.SequenceKind:
		return "optional sequence"
	}
	return "optional"
}
