package interp

import (
	"fmt"
	"math"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/kiln-ml/kiln/ir"
)

// The language-model kernels are checked against decompositions into
// older ops (MatMul, Softmax, Concat, Transpose, ...) that the same
// interpreter runs on the same random inputs.

func llmRand(rng *rand.Rand, shape ...int) *Tensor {
	v := make([]float32, NumElements(shape))
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return FromSlice(shape, v)
}

func runKir(t *testing.T, src, fn string, in ...Value) []Value {
	t.Helper()
	m, err := ir.Parse("t.kir", []byte(src), ir.ParseOptions{})
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, src)
	}
	out, err := New(m, Options{}).Run(fn, in)
	if err != nil {
		t.Fatalf("run %s: %v", fn, err)
	}
	return out
}

func assertClose(t *testing.T, what string, got, want Value, tol float64) {
	t.Helper()
	g, w := got.(*Tensor), want.(*Tensor)
	if !slices.Equal(g.Shape, w.Shape) {
		t.Fatalf("%s: shape %v, want %v", what, g.Shape, w.Shape)
	}
	gd, wd := Data[float32](g), Data[float32](w)
	worst := 0.0
	for i := range gd {
		worst = max(worst, math.Abs(float64(gd[i])-float64(wd[i])))
	}
	if !(worst <= tol) {
		t.Errorf("%s: max abs diff %g > %g", what, worst, tol)
	}
}

// TestRotaryEmbeddingMatchesDecomposition: Y = X*C + (X@R)*S, where R
// rotates each pair the op's layout pairs (adjacent or half-split) and
// C, S repeat the cache rows picked by position, 1 and 0 past
// rotary_embedding_dim.
func TestRotaryEmbeddingMatchesDecomposition(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	const b, h, s, d, maxPos = 2, 3, 4, 8, 20
	for _, tc := range []struct {
		interleaved, rd int
		rank3, noPos    bool
	}{
		{1, 0, false, false}, {0, 0, false, false}, {1, 4, true, false}, {0, 6, true, false}, {1, 0, false, true},
	} {
		t.Run(fmt.Sprintf("interleaved=%d/rd=%d/3d=%v/nopos=%v", tc.interleaved, tc.rd, tc.rank3, tc.noPos), func(t *testing.T) {
			rd := tc.rd
			if rd == 0 {
				rd = d
			}
			half := rd / 2
			x := llmRand(rng, b, h, s, d)
			cosT, sinT := llmRand(rng, maxPos, half), llmRand(rng, maxPos, half)
			pos := make([]int64, b*s)
			for i := range pos {
				pos[i] = int64(rng.Intn(maxPos))
			}
			// Reference operands, built here from their definition.
			R := make([]float32, d*d)
			C := make([]float32, b*s*d)
			S := make([]float32, b*s*d)
			cacheB, cacheS := make([]float32, b*s*half), make([]float32, b*s*half)
			for k := 0; k < half; k++ {
				i1, i2 := k, k+half
				if tc.interleaved == 1 {
					i1, i2 = 2*k, 2*k+1
				}
				// (x@R)[i1] = -x[i2], (x@R)[i2] = x[i1]
				R[i2*d+i1] = -1
				R[i1*d+i2] = 1
				for bs := 0; bs < b*s; bs++ {
					co, si := Data[float32](cosT)[int(pos[bs])*half+k], Data[float32](sinT)[int(pos[bs])*half+k]
					cacheB[bs*half+k], cacheS[bs*half+k] = co, si
					C[bs*d+i1], C[bs*d+i2] = co, co
					S[bs*d+i1], S[bs*d+i2] = si, si
				}
			}
			for bs := 0; bs < b*s; bs++ {
				for i := rd; i < d; i++ {
					C[bs*d+i] = 1
				}
			}
			ref := fmt.Sprintf(`func @main(%%x: f32[%[1]d,%[2]d,%[3]d,%[4]d], %%r: f32[%[4]d,%[4]d], %%c: f32[%[1]d,1,%[3]d,%[4]d], %%s: f32[%[1]d,1,%[3]d,%[4]d]) -> ("y": f32[%[1]d,%[2]d,%[3]d,%[4]d]) {
  %%xc = Mul(%%x, %%c) : f32[%[1]d,%[2]d,%[3]d,%[4]d]
  %%xr = MatMul(%%x, %%r) : f32[%[1]d,%[2]d,%[3]d,%[4]d]
  %%xs = Mul(%%xr, %%s) : f32[%[1]d,%[2]d,%[3]d,%[4]d]
  %%y = Add(%%xc, %%xs) : f32[%[1]d,%[2]d,%[3]d,%[4]d]
  return %%y
}
`, b, h, s, d)
			want := runKir(t, ref, "main", x, FromSlice([]int{d, d}, R), FromSlice([]int{b, 1, s, d}, C), FromSlice([]int{b, 1, s, d}, S))[0]

			attrs := fmt.Sprintf("interleaved = %d, rotary_embedding_dim = %d", tc.interleaved, tc.rd)
			xType := fmt.Sprintf("f32[%d,%d,%d,%d]", b, h, s, d)
			xIn := Value(x)
			if tc.rank3 {
				xType = fmt.Sprintf("f32[%d,%d,%d]", b, s, h*d)
				attrs += fmt.Sprintf(", num_heads = %d", h)
				xIn = runKir(t, fmt.Sprintf(`const @shape : i64[3] = [%d, %d, %d]
func @main(%%x: f32[%d,%d,%d,%d]) -> ("y": %s) {
  %%t = Transpose(%%x) {perm = [0, 2, 1, 3]} : f32[%d,%d,%d,%d]
  %%y = Reshape(%%t, @shape) : %s
  return %%y
}
`, b, s, h*d, b, h, s, d, xType, b, s, h, d, xType), "main", x)[0]
			}
			cacheType, posIn, posType, posArg := fmt.Sprintf("f32[%d,%d]", maxPos, half), Value(FromSlice([]int{b, s}, pos)), fmt.Sprintf(", %%p: i64[%d,%d]", b, s), "%p"
			cosIn, sinIn := Value(cosT), Value(sinT)
			if tc.noPos {
				cacheType, posType, posArg = fmt.Sprintf("f32[%d,%d,%d]", b, s, half), "", "_"
				cosIn, sinIn = FromSlice([]int{b, s, half}, cacheB), FromSlice([]int{b, s, half}, cacheS)
			}
			src := fmt.Sprintf(`func @main(%%x: %[1]s, %%cos: %[2]s, %%sin: %[2]s%[3]s) -> ("y": %[1]s) {
  %%y = RotaryEmbedding(%%x, %%cos, %%sin, %[4]s) {%[5]s} : %[1]s
  return %%y
}
`, xType, cacheType, posType, posArg, attrs)
			ins := []Value{xIn, cosIn, sinIn}
			if !tc.noPos {
				ins = append(ins, posIn)
			}
			got := runKir(t, src, "main", ins...)[0]
			if tc.rank3 {
				got = runKir(t, fmt.Sprintf(`const @shape : i64[4] = [%d, %d, %d, %d]
func @main(%%x: %s) -> ("y": f32[%d,%d,%d,%d]) {
  %%r = Reshape(%%x, @shape) : f32[%d,%d,%d,%d]
  %%y = Transpose(%%r) {perm = [0, 2, 1, 3]} : f32[%d,%d,%d,%d]
  return %%y
}
`, b, s, h, d, xType, b, h, s, d, b, s, h, d, b, h, s, d), "main", got)[0]
			}
			assertClose(t, "Y", got, want, 1e-5)
		})
	}
}

// TestAttentionMatchesDecomposition: grouped-query heads expanded with
// Expand, scores by MatMul, causal and user masks as an additive bias
// computed here, Softmax, MatMul; present = Concat(past, new).
func TestAttentionMatchesDecomposition(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	for _, tc := range []struct {
		qh, kvh, qs, past, d int
		causal, rank3        bool
		mask                 string // "", "bool", "float"
		scale                float32
	}{
		{4, 2, 3, 2, 8, true, false, "", 0},
		{4, 4, 5, 0, 4, true, false, "", 0},
		{2, 1, 1, 6, 8, true, true, "", 0},
		{4, 2, 3, 2, 8, false, false, "bool", 0.5},
		{6, 2, 2, 3, 4, true, true, "float", 0},
	} {
		t.Run(fmt.Sprintf("%+v", tc), func(t *testing.T) {
			const b = 1
			g := tc.qh / tc.kvh
			total := tc.past + tc.qs
			q := llmRand(rng, b, tc.qh, tc.qs, tc.d)
			k := llmRand(rng, b, tc.kvh, tc.qs, tc.d)
			v := llmRand(rng, b, tc.kvh, tc.qs, tc.d)
			pk := llmRand(rng, b, tc.kvh, tc.past, tc.d)
			pv := llmRand(rng, b, tc.kvh, tc.past, tc.d)
			bias := make([]float32, tc.qs*total)
			maskB := make([]bool, tc.qs*total)
			maskF := make([]float32, tc.qs*total)
			for i := 0; i < tc.qs; i++ {
				for j := 0; j < total; j++ {
					maskB[i*total+j] = j == 0 || rng.Intn(3) > 0
					maskF[i*total+j] = float32(rng.NormFloat64())
					if tc.causal && j > tc.past+i {
						bias[i*total+j] = float32(math.Inf(-1))
						continue
					}
					switch tc.mask {
					case "bool":
						if !maskB[i*total+j] {
							bias[i*total+j] = float32(math.Inf(-1))
						}
					case "float":
						bias[i*total+j] = maskF[i*total+j]
					}
				}
			}
			scale := tc.scale
			if scale == 0 {
				scale = float32(1 / math.Sqrt(float64(tc.d)))
			}
			t4 := func(h, s int) string { return fmt.Sprintf("f32[%d,%d,%d,%d]", b, h, s, tc.d) }
			ref := fmt.Sprintf(`const @ax : i64[1] = [2]
const @e5 : i64[5] = [%[1]d, %[2]d, %[3]d, %[4]d, %[5]d]
const @s4 : i64[4] = [%[1]d, %[6]d, %[4]d, %[5]d]
const @scale : f32[] = %[7]v
func @main(%%q: %[8]s, %%k: %[9]s, %%v: %[9]s, %%pk: %[10]s, %%pv: %[10]s, %%bias: f32[%[11]d,%[4]d]) -> ("y": %[8]s, "pk": %[12]s, "pv": %[12]s) {
  %%ak = Concat(%%pk, %%k) {axis = 2} : %[12]s
  %%av = Concat(%%pv, %%v) {axis = 2} : %[12]s
  %%k5 = Unsqueeze(%%ak, @ax) : f32[%[1]d,%[2]d,1,%[4]d,%[5]d]
  %%v5 = Unsqueeze(%%av, @ax) : f32[%[1]d,%[2]d,1,%[4]d,%[5]d]
  %%ke = Expand(%%k5, @e5) : f32[%[1]d,%[2]d,%[3]d,%[4]d,%[5]d]
  %%ve = Expand(%%v5, @e5) : f32[%[1]d,%[2]d,%[3]d,%[4]d,%[5]d]
  %%k4 = Reshape(%%ke, @s4) : f32[%[1]d,%[6]d,%[4]d,%[5]d]
  %%v4 = Reshape(%%ve, @s4) : f32[%[1]d,%[6]d,%[4]d,%[5]d]
  %%kt = Transpose(%%k4) {perm = [0, 1, 3, 2]} : f32[%[1]d,%[6]d,%[5]d,%[4]d]
  %%sc = MatMul(%%q, %%kt) : f32[%[1]d,%[6]d,%[11]d,%[4]d]
  %%ss = Mul(%%sc, @scale) : f32[%[1]d,%[6]d,%[11]d,%[4]d]
  %%sb = Add(%%ss, %%bias) : f32[%[1]d,%[6]d,%[11]d,%[4]d]
  %%p = Softmax(%%sb) {axis = -1} : f32[%[1]d,%[6]d,%[11]d,%[4]d]
  %%y = MatMul(%%p, %%v4) : %[8]s
  return %%y, %%ak, %%av
}
`, b, tc.kvh, g, total, tc.d, tc.qh, scale, t4(tc.qh, tc.qs), t4(tc.kvh, tc.qs), t4(tc.kvh, tc.past), tc.qs, t4(tc.kvh, total))
			want := runKir(t, ref, "main", q, k, v, pk, pv, FromSlice([]int{tc.qs, total}, bias))

			// to3 / from3 move between [b, h, s, d] and [b, s, h*d].
			to3 := func(x *Tensor) Value {
				h, s := x.Shape[1], x.Shape[2]
				return runKir(t, fmt.Sprintf(`const @shape : i64[3] = [%d, %d, %d]
func @main(%%x: f32[%d,%d,%d,%d]) -> ("y": f32[%d,%d,%d]) {
  %%t = Transpose(%%x) {perm = [0, 2, 1, 3]} : f32[%d,%d,%d,%d]
  %%y = Reshape(%%t, @shape) : f32[%d,%d,%d]
  return %%y
}
`, b, s, h*tc.d, b, h, s, tc.d, b, s, h*tc.d, b, s, h, tc.d, b, s, h*tc.d), "main", x)[0]
			}
			attrs := fmt.Sprintf("is_causal = %d", map[bool]int{true: 1}[tc.causal])
			if tc.scale != 0 {
				attrs += fmt.Sprintf(", scale = %v", tc.scale)
			}
			qT, kT, yT := t4(tc.qh, tc.qs), t4(tc.kvh, tc.qs), t4(tc.qh, tc.qs)
			ins := []Value{q, k, v}
			if tc.rank3 {
				attrs += fmt.Sprintf(", kv_num_heads = %d, q_num_heads = %d", tc.kvh, tc.qh)
				qT, kT = fmt.Sprintf("f32[%d,%d,%d]", b, tc.qs, tc.qh*tc.d), fmt.Sprintf("f32[%d,%d,%d]", b, tc.qs, tc.kvh*tc.d)
				yT = qT
				ins = []Value{to3(q), to3(k), to3(v)}
			}
			maskT, maskArg := "", "_"
			switch tc.mask {
			case "bool":
				maskT, maskArg = fmt.Sprintf(", %%m: bool[%d,%d]", tc.qs, total), "%m"
				ins = append(ins, FromSlice([]int{tc.qs, total}, maskB))
			case "float":
				maskT, maskArg = fmt.Sprintf(", %%m: f32[%d,%d]", tc.qs, total), "%m"
				ins = append(ins, FromSlice([]int{tc.qs, total}, maskF))
			}
			ins = append(ins, pk, pv)
			src := fmt.Sprintf(`func @main(%%q: %[1]s, %%k: %[2]s, %%v: %[2]s%[3]s, %%pk: %[4]s, %%pv: %[4]s) -> ("y": %[5]s, "pk": %[6]s, "pv": %[6]s) {
  %%y, %%ok, %%ov = Attention(%%q, %%k, %%v, %[7]s, %%pk, %%pv) {%[8]s} : %[5]s, %[6]s, %[6]s
  return %%y, %%ok, %%ov
}
`, qT, kT, maskT, t4(tc.kvh, tc.past), yT, t4(tc.kvh, total), maskArg, attrs)
			got := runKir(t, src, "main", ins...)
			wantY := want[0]
			if tc.rank3 {
				wantY = to3(want[0].(*Tensor))
			}
			assertClose(t, "Y", got[0], wantY, 1e-5)
			assertClose(t, "present_key", got[1], want[1], 0)
			assertClose(t, "present_value", got[2], want[2], 0)
		})
	}
}

// TestLLMKernelErrors: bad operands are errors naming the problem.
func TestLLMKernelErrors(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"rope position out of range", `func @main(%x: f32[1,1,1,4], %c: f32[2,2], %p: i64[1,1]) -> ("y": f32[1,1,1,4]) {
  %y = RotaryEmbedding(%x, %c, %c, %p) : f32[1,1,1,4]
  return %y
}
`, "outside the caches"},
		{"attention heads", `func @main(%q: f32[1,3,1,4], %k: f32[1,2,1,4]) -> ("y": f32[1,3,1,4]) {
  %y = Attention(%q, %k, %k) : f32[1,3,1,4]
  return %y
}
`, "do not fit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ir.Parse("t.kir", []byte(tc.src), ir.ParseOptions{})
			if err == nil {
				var ins []Value
				for _, p := range m.Func("main").Body.Params {
					sh, _ := p.Type.Shape.Sizes()
					is := make([]int, len(sh))
					for i, s := range sh {
						is[i] = int(s)
					}
					if p.Type.DType == ir.I64 {
						ins = append(ins, FromSlice(is, []int64{5}))
					} else {
						ins = append(ins, NewTensor(p.Type.DType, is))
					}
				}
				_, err = New(m, Options{}).Run("main", ins)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
