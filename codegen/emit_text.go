package codegen

import (
	"fmt"
	"strings"

	"github.com/kiln-ml/kiln/ir"
)

// TfIdfVectorizer over integer items calls the generic kernel of
// codegen/kernels/generic_text.go; its pool of n-grams, their output
// indexes and weights are resolved here from the attributes. (Over
// strings it waits for string tensors in generated code.)
func init() {
	emitters["TfIdfVectorizer"] = emitTfIdf
}

// emitTfIdf writes TfIdfVectorizer of an int32 or int64 [C] or [N, C]
// input.
func emitTfIdf(c *opCtx) (*kernel, error) {
	xs, err := c.arg(0)
	if err != nil {
		return nil, err
	}
	dt := c.op.Args[0].Type.DType
	if dt != ir.I32 && dt != ir.I64 {
		return nil, fmt.Errorf("X is %s; codegen takes int32 or int64 items", dt)
	}
	if _, ok := c.op.Attr("pool_strings"); ok {
		return nil, fmt.Errorf("pool_strings: codegen takes an integer pool only")
	}
	pool := c.op.Ints("pool_int64s")
	minN, maxN := int(c.op.Int("min_gram_length")), int(c.op.Int("max_gram_length"))
	maxSkip := int(c.op.Int("max_skip_count"))
	if minN < 1 || maxN < minN || maxSkip < 0 {
		return nil, fmt.Errorf("bad n-gram range: min_gram_length %d, max_gram_length %d, max_skip_count %d", minN, maxN, maxSkip)
	}
	counts, indexes := c.op.Ints("ngram_counts"), c.op.Ints("ngram_indexes")
	nOut := 0
	for _, i := range indexes {
		nOut = max(nOut, int(i)+1)
	}
	var grams []string
	var outIdx []int
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
			ord := len(grams)
			if ord >= len(indexes) {
				return nil, fmt.Errorf("ngram_indexes has %d entries, the pool more n-grams", len(indexes))
			}
			if indexes[ord] < 0 {
				return nil, fmt.Errorf("ngram_indexes[%d] = %d is negative", ord, indexes[ord])
			}
			parts := make([]string, n)
			for j := range parts {
				parts[j] = fmt.Sprint(pool[p+j])
			}
			grams = append(grams, "{"+strings.Join(parts, ", ")+"}")
			outIdx = append(outIdx, int(indexes[ord]))
		}
	}
	rows, cols := 1, numel(xs)
	want := []int{nOut}
	switch len(xs) {
	case 1:
	case 2:
		rows, cols = xs[0], xs[1]
		want = []int{rows, nOut}
	default:
		return nil, fmt.Errorf("X must be [C] or [N, C], got %v", xs)
	}
	ys, err := c.out(0)
	if err != nil {
		return nil, err
	}
	if !sameShape(ys, want) || c.op.Results[0].Type.DType != ir.F32 {
		return nil, fmt.Errorf("result %s, want f32%v", dtypeText(c.op.Results[0].Type.DType, ys), want)
	}
	weightAt := make([]string, nOut)
	for i := range weightAt {
		weightAt[i] = "1"
	}
	if w := c.op.Floats("weights"); len(w) > 0 {
		if len(w) != len(indexes) {
			return nil, fmt.Errorf("%d weights for %d n-grams", len(w), len(indexes))
		}
		for ord, idx := range indexes {
			weightAt[idx] = floatLit(float64(w[ord]))
		}
	}
	mode := map[string]int{"TF": 0, "IDF": 1, "TFIDF": 2}
	m, ok := mode[c.op.Str("mode")]
	if !ok {
		return nil, fmt.Errorf("mode %q: want TF, IDF or TFIDF", c.op.Str("mode"))
	}
	body := fmt.Sprintf("tfIdf(x[:%d], %d, %d, [][]int64{%s}, %s, []float64{%s}, %d, %d, %d, %d, %d, y[:%d])\n",
		numel(xs), rows, cols, strings.Join(grams, ", "), intsLit(outIdx), strings.Join(weightAt, ", "), nOut, minN, min(maxN, len(counts)), maxSkip, m, numel(ys))
	shapes := fmt.Sprintf("%s -> %s", dtypeText(dt, xs), dtypeText(ir.F32, ys))
	return &kernel{in: c.op.Args[:1], params: []string{"x", "y"}, nout: 1, comment: fmt.Sprintf("TfIdfVectorizer (%s) %s, %d pool n-grams: generic", c.op.Str("mode"), shapes, len(grams)), body: body, shapes: shapes}, nil
}
