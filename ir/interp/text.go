package interp

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/kiln-ml/kiln/ir"
)

func init() {
	Register("StringNormalizer", kernelStringNormalizer)
	Register("StringConcat", func(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
		ts, err := tensorOperands(args, 2, 2)
		if err != nil {
			return nil, err
		}
		if ts[0].DType != ir.String || ts[1].DType != ir.String {
			return nil, fmt.Errorf("StringConcat takes strings, not %v and %v", ts[0].DType, ts[1].DType)
		}
		out, err := Binary(ts[0], ts[1], ir.String, func(x, y string) string { return x + y })
		if err != nil {
			return nil, err
		}
		return single(out), nil
	})
	Register("RegexFullMatch", kernelRegexFullMatch)
	Register("StringSplit", kernelStringSplit)
	Register("TfIdfVectorizer", kernelTfIdfVectorizer)
}

// kernelStringNormalizer applies Unicode case mapping whatever the locale
// attribute says: Go's case tables are locale-independent, and ONNX's
// default (en_US) agrees with them.
func kernelStringNormalizer(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 1, 1)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	if x.DType != ir.String {
		return nil, fmt.Errorf("X must be a string tensor, got %v", x.DType)
	}
	twoD := x.Rank() == 2
	if !(x.Rank() == 1 || (twoD && x.Shape[0] == 1)) {
		return nil, fmt.Errorf("X must be [C] or [1, C], got shape %v", x.Shape)
	}
	caseSensitive := op.Int("is_case_sensitive") != 0
	stop := map[string]bool{}
	for _, w := range op.Strings("stopwords") {
		if !caseSensitive {
			w = strings.ToLower(w)
		}
		stop[w] = true
	}
	action := op.Str("case_change_action")
	var out []string
	for _, s := range Data[string](x) {
		key := s
		if !caseSensitive {
			key = strings.ToLower(s)
		}
		if stop[key] {
			continue
		}
		switch action {
		case "LOWER":
			s = strings.ToLower(s)
		case "UPPER":
			s = strings.ToUpper(s)
		case "NONE":
		default:
			return nil, fmt.Errorf("case_change_action %q: want NONE, LOWER or UPPER", action)
		}
		out = append(out, s)
	}
	// ONNX: when every string is dropped the output holds one empty string.
	if len(out) == 0 {
		out = []string{""}
	}
	shape := []int{len(out)}
	if twoD {
		shape = []int{1, len(out)}
	}
	return []Value{FromSlice(shape, out)}, nil
}

// tfidfKey encodes an n-gram of pool or input items as a map key.
func tfidfKey(items []string) string {
	var b strings.Builder
	for _, it := range items {
		b.WriteString(strconv.Itoa(len(it)))
		b.WriteByte(':')
		b.WriteString(it)
	}
	return b.String()
}

func kernelTfIdfVectorizer(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 1, 1)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	var items []string
	switch x.DType {
	case ir.String:
		items = Data[string](x)
	case ir.I32, ir.I64:
		for _, v := range widenIntTensor[int64](x) {
			items = append(items, strconv.FormatInt(v, 10))
		}
	default:
		return nil, fmt.Errorf("X must be string, int32 or int64, got %v", x.DType)
	}
	var pool []string
	if v, ok := op.Attr("pool_strings"); ok && v.Kind == ir.AttrStrings {
		pool = v.Strings
	} else {
		for _, p := range op.Ints("pool_int64s") {
			pool = append(pool, strconv.FormatInt(p, 10))
		}
	}
	minN, maxN := int(op.Int("min_gram_length")), int(op.Int("max_gram_length"))
	maxSkip := int(op.Int("max_skip_count"))
	if minN < 1 || maxN < minN || maxSkip < 0 {
		return nil, fmt.Errorf("bad n-gram range: min_gram_length %d, max_gram_length %d, max_skip_count %d", minN, maxN, maxSkip)
	}
	counts, indexes := op.Ints("ngram_counts"), op.Ints("ngram_indexes")
	weights := op.Floats("weights")
	// Level k (n-grams of k+1 items) occupies pool[counts[k]:counts[k+1]].
	ngramOut := map[string]int{}
	ordinal, nOut := 0, 0
	for _, i := range indexes {
		nOut = max(nOut, int(i)+1)
	}
	for k := range counts {
		start, end := int(counts[k]), len(pool)
		if k+1 < len(counts) {
			end = int(counts[k+1])
		}
		n := k + 1
		if start < 0 || end > len(pool) || start > end || (end-start)%n != 0 {
			return nil, fmt.Errorf("ngram_counts %v does not split a pool of %d items", counts, len(pool))
		}
		for p := start; p < end; p += n {
			if ordinal >= len(indexes) {
				return nil, fmt.Errorf("ngram_indexes has %d entries, the pool more n-grams", len(indexes))
			}
			idx := int(indexes[ordinal])
			if idx < 0 {
				return nil, fmt.Errorf("ngram_indexes[%d] = %d is negative", ordinal, idx)
			}
			ngramOut[tfidfKey(pool[p:p+n])] = ordinal
			ordinal++
		}
	}
	rows, cols := 1, len(items)
	var outShape []int
	switch x.Rank() {
	case 1:
		outShape = []int{nOut}
	case 2:
		rows, cols = x.Shape[0], x.Shape[1]
		outShape = []int{rows, nOut}
	default:
		return nil, fmt.Errorf("X must be [C] or [N, C], got shape %v", x.Shape)
	}
	// No pool n-gram is longer than the number of levels in ngram_counts.
	maxN = min(maxN, len(counts))
	tf := scratchOf[float64](rows, nOut)
	gram := scratch[string](max(maxN, 0))
	for r := 0; r < rows; r++ {
		row := items[r*cols : (r+1)*cols]
		for n := minN; n <= maxN; n++ {
			// Unigrams have no gaps to skip: count them once.
			skips := maxSkip
			if n == 1 {
				skips = 0
			}
			for s := 0; s <= skips; s++ {
				for i := 0; i+(n-1)*(s+1) < len(row); i++ {
					for k := 0; k < n; k++ {
						gram[k] = row[i+k*(s+1)]
					}
					if ord, ok := ngramOut[tfidfKey(gram[:n])]; ok {
						tf[r*nOut+int(indexes[ord])]++
					}
				}
			}
		}
	}
	// Weights are per pool n-gram (by ordinal), applied at its output index.
	weightAt := scratch[float64](nOut)
	for i := range weightAt {
		weightAt[i] = 1
	}
	if len(weights) > 0 {
		if len(weights) != len(indexes) {
			return nil, fmt.Errorf("%d weights for %d n-grams", len(weights), len(indexes))
		}
		for ord, idx := range indexes {
			weightAt[idx] = float64(weights[ord])
		}
	}
	switch mode := op.Str("mode"); mode {
	case "TF":
	case "IDF", "TFIDF":
		for i, v := range tf {
			if mode == "IDF" && v > 0 {
				v = 1
			}
			tf[i] = v * weightAt[i%nOut]
		}
	default:
		return nil, fmt.Errorf("mode %q: want TF, IDF or TFIDF", mode)
	}
	out, err := numericFromF64(ir.F32, outShape, tf)
	if err != nil {
		return nil, err
	}
	return []Value{out}, nil
}

// kernelRegexFullMatch matches each string against pattern as a whole. Go's
// regexp package implements RE2's syntax, the one ONNX names.
func kernelRegexFullMatch(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 1, 1)
	if err != nil {
		return nil, err
	}
	if ts[0].DType != ir.String {
		return nil, fmt.Errorf("RegexFullMatch takes strings, not %v", ts[0].DType)
	}
	re, err := regexp.Compile(`\A(?:` + op.Str("pattern") + `)\z`)
	if err != nil {
		return nil, fmt.Errorf("pattern: %w", err)
	}
	return single(Unary(ts[0], ir.Bool, re.MatchString)), nil
}

// kernelStringSplit splits each string (StringSplit-20): on delimiter, or
// with an empty delimiter on runs of whitespace with leading and trailing
// whitespace ignored; after maxsplit splits the rest is one last part.
func kernelStringSplit(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 1, 1)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	if x.DType != ir.String {
		return nil, fmt.Errorf("StringSplit takes strings, not %v", x.DType)
	}
	maxsplit := -1
	if op.Has("maxsplit") {
		maxsplit = int(min(op.Int("maxsplit"), int64(1)<<30))
	}
	delim := op.Str("delimiter")
	in := Data[string](x)
	parts := scratch[[]string](len(in))
	width := 0
	for i, s := range in {
		if delim != "" {
			n := -1
			if maxsplit >= 0 {
				n = maxsplit + 1
			}
			parts[i] = strings.SplitN(s, delim, n)
		} else {
			parts[i] = splitWhitespace(s, maxsplit)
		}
		width = max(width, len(parts[i]))
	}
	yShape := append(append([]int{}, x.Shape...), width)
	if err := checkElemCount(yShape, "output shape"); err != nil {
		return nil, err
	}
	y, z := NewTensor(ir.String, yShape), NewTensor(ir.I64, x.Shape)
	yd, zd := Data[string](y), Data[int64](z)
	for i, p := range parts {
		copy(yd[i*width:], p)
		zd[i] = int64(len(p))
	}
	return []Value{y, z}, nil
}

// splitWhitespace splits s on runs of whitespace, ignoring leading
// whitespace, at most maxsplit times (negative: no limit); the rest after
// the last split, trailing whitespace and all, is the last part.
func splitWhitespace(s string, maxsplit int) []string {
	var out []string
	for {
		s = strings.TrimLeftFunc(s, unicode.IsSpace)
		if s == "" {
			return out
		}
		if maxsplit >= 0 && len(out) == maxsplit {
			return append(out, s)
		}
		end := strings.IndexFunc(s, unicode.IsSpace)
		if end < 0 {
			return append(out, s)
		}
		out = append(out, s[:end])
		s = s[end:]
	}
}
