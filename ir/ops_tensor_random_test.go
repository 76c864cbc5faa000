package ir

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand"
	"testing"
)

// TestTensorFamilyInferRandom builds the family's ops on random operands
// (typed inputs with static, symbolic, unknown or unranked shapes, integer
// and float constants with extreme values) and random attributes:
// inference must give types or an error, never panic.
func TestTensorFamilyInferRandom(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	names := []string{"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Transpose", "Concat", "Split",
		"Expand", "Tile", "Shape", "Size", "ConstantOfShape", "Pad", "DepthToSpace", "SpaceToDepth", "Slice",
		"Gather", "GatherElements", "GatherND", "ScatterElements", "ScatterND", "Trilu", "EyeLike", "NonZero",
		"Compress", "ReverseSequence", "OneHot", "TopK", "Unique", "CumSum", "Range", "Resize"}
	randDim := func() Dim {
		switch rng.Intn(4) {
		case 0:
			return Unknown()
		case 1:
			return Symbolic([]string{"a", "b"}[rng.Intn(2)])
		}
		return Static(int64(rng.Intn(4)))
	}
	randShape := func() Shape {
		if rng.Intn(6) == 0 {
			return UnrankedShape()
		}
		s := Shape{Ranked: true, Dims: []Dim{}}
		for range rng.Intn(5) {
			s.Dims = append(s.Dims, randDim())
		}
		return s
	}
	for iter := 0; iter < 20000; iter++ {
		m := NewModule()
		f := m.NewFunc("main")
		name := names[rng.Intn(len(names))]
		nargs := 1 + rng.Intn(5)
		var args []*Value
		for i := 0; i < nargs; i++ {
			switch rng.Intn(5) {
			case 0:
				args = append(args, nil)
			case 1, 2:
				n := rng.Intn(5)
				b := make([]byte, 8*n)
				for k := 0; k < n; k++ {
					v := int64(rng.Intn(9) - 4)
					if rng.Intn(8) == 0 {
						v = []int64{math.MaxInt64, math.MinInt64, 1 << 40}[rng.Intn(3)]
					}
					binary.LittleEndian.PutUint64(b[8*k:], uint64(v))
				}
				s := ShapeOf(int64(n))
				if n == 1 && rng.Intn(2) == 0 {
					s = ShapeOf()
				}
				args = append(args, m.AddConst(fmt.Sprint("c", i), TensorType(I64, s), &Constant{Bytes: b}))
			case 3:
				n := rng.Intn(5)
				b := make([]byte, 4*n)
				for k := 0; k < n; k++ {
					v := float32(rng.Intn(5)) - 1
					if rng.Intn(6) == 0 {
						v = []float32{float32(math.NaN()), float32(math.Inf(1)), 1e30}[rng.Intn(3)]
					}
					binary.LittleEndian.PutUint32(b[4*k:], math.Float32bits(v))
				}
				args = append(args, m.AddConst(fmt.Sprint("f", i), TensorType(F32, ShapeOf(int64(n))), &Constant{Bytes: b}))
			default:
				args = append(args, f.AddInput(fmt.Sprint("x", i), TensorType([]DType{F32, I64, Bool}[rng.Intn(3)], randShape())))
			}
		}
		var attrs []Attr
		for _, a := range []string{"axis", "batch_dims", "blocksize", "start", "end", "allowzero", "upper"} {
			if rng.Intn(3) == 0 {
				attrs = append(attrs, Attr{a, IntAttr(int64(rng.Intn(9) - 4))})
			}
		}
		if rng.Intn(4) == 0 {
			attrs = append(attrs, Attr{"perm", IntsAttr([]int64{int64(rng.Intn(4) - 1), int64(rng.Intn(3))})})
		}
		nres := 1 + rng.Intn(4)
		func() {
			defer func() {
				if r := recover(); r != nil {
					var ts []string
					for _, a := range args {
						if a == nil {
							ts = append(ts, "nil")
						} else if a.IsConst() {
							v, _ := ConstInts(a)
							fv, _ := ConstFloats(a)
							ts = append(ts, fmt.Sprint(a.Type, v, fv))
						} else {
							ts = append(ts, a.Type.String())
						}
					}
					t.Errorf("%s %v %v nres %d: panic %v", name, attrs, ts, nres, r)
				}
			}()
			f.Body.Build(name, args, attrs, nres)
		}()
		if t.Failed() {
			return
		}
	}
}
