package viz

import (
	"encoding/binary"
	"math"
	"strconv"
	"strings"

	"github.com/kiln-ml/kiln/ir"
)

// valueName is how the picture names v: a constant by its global name,
// any other value as the text form spells it (ir.ValueNames), so that a
// tooltip can be looked up in `kiln dump` output.
func (g *graph) valueName(v *ir.Value) string {
	if v.Const != nil {
		return "@" + clean(v.Const.Name)
	}
	if n, ok := g.names[v]; ok {
		return n
	}
	return "%?"
}

// opLoc returns op's source locations as the text form spells them
// ("conv_3" or "conv_3", "bn_3"), "" when it has none.
func opLoc(op *ir.Op) string {
	if len(op.Loc) == 0 {
		return ""
	}
	return op.Loc.String()
}

// maxValuesText caps the spelled-out values of a small constant; longer
// ones show their type instead.
const maxValuesText = 40

// constSummary is the line an op's box shows for its constant operand c
// bound to the operand name: the values of a small integer or float
// constant, the type of any other.
func constSummary(name string, c *ir.Value) string {
	if vals, ok := smallValues(c); ok && len(vals) <= maxValuesText {
		return name + " = " + vals
	}
	return name + ": " + typeLabel(c.Type)
}

// smallValues spells out a constant of at most maxInlineElems f32, f64,
// i32 or i64 elements: a scalar bare, anything else as a list.
func smallValues(c *ir.Value) (string, bool) {
	t := c.Type
	if !t.IsTensor() {
		return "", false
	}
	n := t.Shape.NumElements()
	if n < 0 || n > maxInlineElems || !t.Shape.IsStatic() {
		return "", false
	}
	size := t.DType.Size()
	switch t.DType {
	case ir.F32, ir.F64, ir.I32, ir.I64:
	default:
		return "", false
	}
	b := c.Const.Bytes
	if int64(len(b)) != n*int64(size) {
		return "", false
	}
	s := make([]string, n)
	for i := range s {
		e := b[i*size : (i+1)*size]
		switch t.DType {
		case ir.F32:
			s[i] = ir.FormatFloat32(math.Float32frombits(binary.LittleEndian.Uint32(e)))
		case ir.F64:
			s[i] = strconv.FormatFloat(math.Float64frombits(binary.LittleEndian.Uint64(e)), 'g', -1, 64)
		case ir.I32:
			s[i] = strconv.FormatInt(int64(int32(binary.LittleEndian.Uint32(e))), 10)
		case ir.I64:
			s[i] = strconv.FormatInt(int64(binary.LittleEndian.Uint64(e)), 10)
		}
	}
	if t.Shape.Rank() == 0 {
		return s[0], true
	}
	return "[" + strings.Join(s, ", ") + "]", true
}

// attrText is an attribute value as a tooltip shows it, cut to
// maxAttrText characters.
func attrText(v ir.AttrValue) string {
	var s string
	switch v.Kind {
	case ir.AttrInt:
		s = strconv.FormatInt(v.Int, 10)
	case ir.AttrFloat:
		s = ir.FormatFloat32(v.Float)
	case ir.AttrString:
		s = strconv.Quote(v.Str)
	case ir.AttrInts:
		p := make([]string, len(v.Ints))
		for i, x := range v.Ints {
			p[i] = strconv.FormatInt(x, 10)
		}
		s = "[" + strings.Join(p, ", ") + "]"
	case ir.AttrFloats:
		p := make([]string, len(v.Floats))
		for i, x := range v.Floats {
			p[i] = ir.FormatFloat32(x)
		}
		s = "[" + strings.Join(p, ", ") + "]"
	case ir.AttrStrings:
		p := make([]string, len(v.Strings))
		for i, x := range v.Strings {
			p[i] = strconv.Quote(x)
		}
		s = "[" + strings.Join(p, ", ") + "]"
	case ir.AttrTensor:
		if v.Tensor != nil && v.Tensor.Const != nil {
			s = "@" + v.Tensor.Const.Name + " " + v.Tensor.Type.String()
		}
	case ir.AttrDType:
		s = v.DType.String()
	case ir.AttrType:
		s = v.Type.String()
	default:
		s = v.Kind.String()
	}
	if len(s) > maxAttrText {
		// Cut on a rune boundary.
		cut := maxAttrText
		for cut > 0 && !isRuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return clean(s)
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// maxSymLabel is the longest symbolic dim name an edge label spells out
// in full; longer ones (exporters write names like
// "p2o.DynamicDimension.0") keep their ends. Tooltips keep the full type.
const maxSymLabel = 12

// typeLabel is v's type as an edge label shows it: the text form, with
// long symbolic dim names shortened.
func typeLabel(t ir.Type) string {
	switch t.Kind {
	case ir.TensorKind:
		if !t.Shape.Ranked {
			return t.DType.String() + "[*]"
		}
		var b strings.Builder
		b.WriteString(t.DType.String())
		b.WriteByte('[')
		for i, d := range t.Shape.Dims {
			if i > 0 {
				b.WriteByte(',')
			}
			s, limit := d.String(), 2*maxSymLabel // an expression: (w+1)/2
			if d.IsSymbolic() {
				name, _ := d.Symbol()
				s, limit = clean(name), maxSymLabel
			}
			if r := []rune(s); len(r) > limit {
				s = string(r[:5]) + "…" + string(r[len(r)-5:])
			}
			b.WriteString(s)
		}
		b.WriteByte(']')
		return b.String()
	case ir.SequenceKind, ir.OptionalKind:
		prefix := "seq<"
		if t.Kind == ir.OptionalKind {
			prefix = "opt<"
		}
		if t.Elem == nil {
			return prefix + "?>"
		}
		return prefix + typeLabel(*t.Elem) + ">"
	}
	return t.String()
}
