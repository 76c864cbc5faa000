package ir

import (
	"strings"
	"testing"
)

// chainModule builds a function of n chained ops, the size of a large
// model's graph.
func chainModule(tb testing.TB, n int) *Module {
	m := NewModule()
	c := m.AddConst("one", t32(F32, 4), &Constant{Bytes: bytesOf([]float32{1, 2, 3, 4})})
	f := m.NewFunc("main")
	x := f.AddInput("x", TensorType(F32, Shape{Ranked: true, Dims: []Dim{Symbolic("batch"), Static(4)}}))
	for i := 0; i < n; i++ {
		op, err := f.Body.Build("Add", []*Value{x, c}, nil, 1)
		if err != nil {
			tb.Fatal(err)
		}
		op.Loc = Locs{"/model/layers.0/Add_1"}
		x = op.Results[0]
	}
	f.AddOutput("y", x)
	return m
}

func BenchmarkParse(b *testing.B) {
	text := chainModule(b, 2000).String()
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		m, err := Parse("bench.kir", []byte(text), ParseOptions{})
		if err != nil {
			b.Fatal(err)
		}
		m.Close()
	}
}

func BenchmarkPrint(b *testing.B) {
	m := chainModule(b, 2000)
	for b.Loop() {
		var s strings.Builder
		Print(&s, m, PrintOptions{})
	}
}
