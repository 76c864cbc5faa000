package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/interp"
)

// firstValues is how many leading values a summary shows.
const firstValues = 8

// outputSummary describes one output of kiln run: what it is and, for a
// numeric tensor, its range, mean, first values and (for a class vector)
// its largest values with their indices.
type outputSummary struct {
	Name  string   `json:"name"`
	Type  string   `json:"type"`            // the value's type, e.g. f32[1,10]
	DType string   `json:"dtype,omitempty"` // tensors
	Shape []int    `json:"shape,omitempty"`
	File  string   `json:"file,omitempty"` // where --out wrote it
	Count int      `json:"count"`          // elements
	Stats *stats   `json:"stats,omitempty"`
	First []string `json:"first,omitempty"` // the first values, as printed
	Top   []ranked `json:"top,omitempty"`
}

// stats are the range and mean of the finite values of a numeric tensor,
// and how many are not finite.
type stats struct {
	Min    jsonFloat `json:"min"`
	Max    jsonFloat `json:"max"`
	Mean   jsonFloat `json:"mean"`
	NaN    int       `json:"nan,omitempty"`
	Inf    int       `json:"inf,omitempty"`
	Finite int       `json:"finite"`
}

// ranked is one of a class vector's largest values.
type ranked struct {
	Index int       `json:"index"`
	Value jsonFloat `json:"value"`
}

// jsonFloat is a float64 that JSON can hold even when it is NaN or
// infinite (as the strings "NaN", "+Inf", "-Inf").
type jsonFloat float64

// MarshalJSON writes f as a number, or as a string when JSON has no
// number for it.
func (f jsonFloat) MarshalJSON() ([]byte, error) {
	x := float64(f)
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return json.Marshal(strconv.FormatFloat(x, 'g', -1, 64))
	}
	return json.Marshal(x)
}

// summarize describes output v; top is how many values a class vector
// lists.
func summarize(name string, v interp.Value, top int) outputSummary {
	s := outputSummary{Name: name, Type: v.Type().String()}
	t, ok := v.(*interp.Tensor)
	if !ok {
		return s
	}
	s.DType, s.Shape, s.Count = t.DType.String(), append([]int{}, t.Shape...), t.Len()
	if s.Shape == nil {
		s.Shape = []int{}
	}
	n := min(t.Len(), firstValues)
	if t.DType == ir.String {
		for _, x := range interp.Data[string](t)[:n] {
			s.First = append(s.First, strconv.Quote(x))
		}
		return s
	}
	if t.DType == ir.C64 || t.DType == ir.C128 {
		c, err := interp.CastTensor(t, ir.C128)
		if err == nil {
			for _, x := range interp.Data[complex128](c)[:n] {
				s.First = append(s.First, strconv.FormatComplex(x, 'g', 6, 128))
			}
		}
		return s
	}
	f, err := interp.CastTensor(t, ir.F64)
	if err != nil {
		return s
	}
	xs := interp.Data[float64](f)
	for _, x := range xs[:n] {
		s.First = append(s.First, formatValue(x, t.DType))
	}
	if len(xs) == 0 {
		return s
	}
	st := &stats{Min: jsonFloat(math.Inf(1)), Max: jsonFloat(math.Inf(-1))}
	sum := 0.0
	for _, x := range xs {
		switch {
		case math.IsNaN(x):
			st.NaN++
		case math.IsInf(x, 0):
			st.Inf++
		default:
			st.Finite++
			sum += x
			st.Min, st.Max = min(st.Min, jsonFloat(x)), max(st.Max, jsonFloat(x))
		}
	}
	if st.Finite > 0 {
		st.Mean = jsonFloat(sum / float64(st.Finite))
	} else {
		st.Min, st.Max, st.Mean = jsonFloat(math.NaN()), jsonFloat(math.NaN()), jsonFloat(math.NaN())
	}
	s.Stats = st
	if top > 0 && t.DType.IsFloat() && isClassVector(t.Shape) {
		s.Top = topK(xs, top)
	}
	return s
}

// isClassVector reports whether shape is one vector of at least two
// scores: [N], [1,N], [1,1,N], ...
func isClassVector(shape []int) bool {
	if len(shape) == 0 || shape[len(shape)-1] < 2 {
		return false
	}
	for _, d := range shape[:len(shape)-1] {
		if d != 1 {
			return false
		}
	}
	return true
}

// topK returns the k largest values of xs with their indices, largest
// first; NaNs are left out.
func topK(xs []float64, k int) []ranked {
	idx := make([]int, 0, len(xs))
	for i, x := range xs {
		if !math.IsNaN(x) {
			idx = append(idx, i)
		}
	}
	sort.SliceStable(idx, func(a, b int) bool { return xs[idx[a]] > xs[idx[b]] })
	var out []ranked
	for _, i := range idx[:min(k, len(idx))] {
		out = append(out, ranked{i, jsonFloat(xs[i])})
	}
	return out
}

// formatValue prints x as a value of dtype d: integers and bools exactly,
// floats with 6 significant digits.
func formatValue(x float64, d ir.DType) string {
	switch {
	case d == ir.Bool:
		return strconv.FormatBool(x != 0)
	case d.IsFloat():
		return strconv.FormatFloat(x, 'g', 6, 64)
	}
	return strconv.FormatFloat(x, 'f', -1, 64)
}

// print writes the summary as text: a tab-separated first line (name,
// dtype, shape, and the file when written; name and type for sequences
// and optionals) and indented detail lines.
func (s outputSummary) print(w io.Writer) {
	line := s.Name + "\t" + s.Type
	if s.DType != "" {
		line = fmt.Sprintf("%s\t%s\t%s", s.Name, s.DType, shapeString(s.Shape))
	}
	if s.File != "" {
		line += "\t" + s.File
	}
	fmt.Fprintln(w, line)
	if st := s.Stats; st != nil {
		fmt.Fprintf(w, "  min %s  max %s  mean %s", fmtF(st.Min), fmtF(st.Max), fmtF(st.Mean))
		if st.NaN > 0 {
			fmt.Fprintf(w, "  (%d NaN)", st.NaN)
		}
		if st.Inf > 0 {
			fmt.Fprintf(w, "  (%d ±Inf)", st.Inf)
		}
		fmt.Fprintln(w)
	}
	if len(s.First) > 0 {
		more := ""
		if s.Count > len(s.First) {
			more = fmt.Sprintf(" ... (%d values)", s.Count)
		}
		fmt.Fprintf(w, "  values: %s%s\n", strings.Join(s.First, " "), more)
	}
	if len(s.Top) > 0 {
		var parts []string
		for _, r := range s.Top {
			parts = append(parts, fmt.Sprintf("[%d] %s", r.Index, fmtF(r.Value)))
		}
		fmt.Fprintf(w, "  top %d: %s\n", len(s.Top), strings.Join(parts, ", "))
	}
}

func fmtF(f jsonFloat) string { return strconv.FormatFloat(float64(f), 'g', 6, 64) }

// shapeString prints a shape as [3,4,5].
func shapeString(shape []int) string {
	parts := make([]string, len(shape))
	for i, d := range shape {
		parts[i] = strconv.Itoa(d)
	}
	return "[" + strings.Join(parts, ",") + "]"
}
