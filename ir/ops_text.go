package ir

import "fmt"

func init() {
	// String ops of opset 20.
	Register(&OpDef{
		Name: "StringConcat", Doc: "elementwise X + Y of strings with broadcasting",
		Kind: Broadcast, Inputs: In("X:T", "Y:T"), Outputs: In("Z:T"),
		Types: []TypeConstraint{TC("T", StringType)}, Infer: inferBroadcastSameDType,
	})
	Register(&OpDef{
		Name: "RegexFullMatch", Doc: "elementwise: whether the whole string matches pattern (RE2 syntax)",
		Kind: Elementwise, Inputs: In("X:T1"), Outputs: In("Y:T2"),
		Types: []TypeConstraint{TC("T1", StringType), TC("T2", BoolType)},
		Attrs: []AttrDef{AString("pattern", "")}, Infer: inferSameShapeBool,
	})
	Register(&OpDef{
		Name: "StringSplit", Doc: "splits each string on delimiter (empty: runs of whitespace), at most maxsplit times; Y pads with empty strings, Z counts the parts",
		Kind: Opaque, Inputs: In("X:T1"), Outputs: In("Y:T1", "Z:T3"),
		Types: []TypeConstraint{TC("T1", StringType), TC("T3", I64Type)},
		Attrs: []AttrDef{AString("delimiter", ""), AOptional("maxsplit", AttrInt).AtLeast(0)},
		Infer: func(op *Op) ([]Type, error) {
			x, err := inferOperand(op, 0)
			if err != nil {
				return nil, err
			}
			s := x.Type.Shape
			if !s.Ranked {
				return []Type{TensorType(String, UnrankedShape()), TensorType(I64, UnrankedShape())}, nil
			}
			y := s.Clone()
			y.Dims = append(y.Dims, Unknown())
			return []Type{TensorType(String, y), TensorType(I64, s)}, nil
		},
	})
	Register(&OpDef{
		Name:    "StringNormalizer",
		Doc:     "drops stopwords from a [C] or [1, C] string tensor and changes case (LOWER, UPPER or NONE); an all-dropped input gives one empty string",
		Kind:    Opaque,
		Inputs:  In("X:T"),
		Outputs: In("Y:T"),
		Types:   []TypeConstraint{TC("T", StringType)},
		Attrs: []AttrDef{AEnum("case_change_action", "NONE", "NONE", "LOWER", "UPPER"), ABool("is_case_sensitive", 0),
			AString("locale", ""), AStrings("stopwords")},
		Infer: inferStringNormalizer,
	})
	Register(&OpDef{
		Name:    "TfIdfVectorizer",
		Doc:     "counts the pool's n-grams (with up to max_skip_count skipped items between members) in each row and weights them by mode TF, IDF or TFIDF",
		Kind:    Opaque,
		Inputs:  In("X:T"),
		Outputs: In("Y:T1"),
		Types:   []TypeConstraint{TC("T", StringType|IndexTypes), TC("T1", Types(F32))},
		Attrs: []AttrDef{ARequired("max_gram_length", AttrInt).AtLeast(1), ARequired("max_skip_count", AttrInt).AtLeast(0),
			ARequired("min_gram_length", AttrInt).AtLeast(1), ARequired("mode", AttrString).OneOf("TF", "IDF", "TFIDF"),
			ARequired("ngram_counts", AttrInts), ARequired("ngram_indexes", AttrInts),
			AOptional("pool_int64s", AttrInts), AOptional("pool_strings", AttrStrings), AFloats("weights")},
		Infer: inferTfIdf,
	})
}

func inferStringNormalizer(op *Op) ([]Type, error) {
	x := op.Arg(0)
	if x == nil || !x.Type.IsTensor() || x.Type.DType != String {
		return nil, fmt.Errorf("X must be a string tensor")
	}
	switch a := op.Str("case_change_action"); a {
	case "NONE", "LOWER", "UPPER":
	default:
		return nil, fmt.Errorf("case_change_action %q: want NONE, LOWER or UPPER", a)
	}
	s := x.Type.Shape
	switch s.Rank() {
	case -1:
		return []Type{x.Type}, nil
	case 1:
		return []Type{TensorType(String, UnknownDims(1))}, nil
	case 2:
		return []Type{TensorType(String, Shape{Ranked: true, Dims: []Dim{Static(1), Unknown()}})}, nil
	}
	return nil, fmt.Errorf("X must be [C] or [1, C], got rank %d", s.Rank())
}

func inferTfIdf(op *Op) ([]Type, error) {
	x := op.Arg(0)
	if x == nil || !x.Type.IsTensor() {
		return nil, fmt.Errorf("X must be a tensor")
	}
	switch x.Type.DType {
	case String, I32, I64:
	default:
		return nil, fmt.Errorf("X must be string, int32 or int64, got %v", x.Type.DType)
	}
	n := int64(0)
	for _, i := range op.Ints("ngram_indexes") {
		n = max(n, i+1)
	}
	switch s := x.Type.Shape; s.Rank() {
	case -1:
		return []Type{TensorType(F32, UnrankedShape())}, nil
	case 1:
		return []Type{TensorType(F32, ShapeOf(n))}, nil
	case 2:
		return []Type{TensorType(F32, Shape{Ranked: true, Dims: []Dim{s.Dims[0], Static(n)}})}, nil
	default:
		return nil, fmt.Errorf("X must be [C] or [N, C], got rank %d", s.Rank())
	}
}
