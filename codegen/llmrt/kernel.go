package llmrt

// The ggml tensor type ids a compiled model's weights may have (the
// numbers GGUF stores).
const (
	typeF32    = 0
	typeF16    = 1
	typeQ4_0   = 2
	typeQ4_1   = 3
	typeQ5_0   = 6
	typeQ5_1   = 7
	typeQ8_0   = 8
	typeQ2_K   = 10
	typeQ3_K   = 11
	typeQ4_K   = 12
	typeQ5_K   = 13
	typeQ6_K   = 14
	typeIQ4_NL = 20
	typeIQ4_XS = 23
)

// A kernel is what the forward pass needs of one weight type: its block
// geometry, the activation format its dot product takes, the dot product
// of one row of weight blocks with a quantized activation row, and the
// dequantization of a row (for the token embedding, whose rows are
// gathered, never multiplied).
type kernel struct {
	name       string
	act        int
	blockLen   int
	blockBytes int
	// dot multiplies nb weight blocks w with nb activation blocks a (in
	// format act); nil for F32 and F16, which multiply float32 rows. The
	// build with vector kernels (vec_amd64.go) is the hook: on a processor
	// with AVX2 and FMA its init replaces dot with a vector function of the
	// same results and clears dotLanes, so that linear multiplies the
	// quantized blocks directly.
	dot func(w, a []byte, nb int) float32
	// dot1, when not nil, is dot as ggml computes it for a single
	// activation row, where its vector dot product adds in another order
	// than its tiled kernel for several rows (dot).
	dot1 func(w, a []byte, nb int) float32
	// dotLanes multiplies one weight row of nb blocks with one activation
	// row given as its blocks' scales d, its codes in lanes lw and their
	// sums of 32 (lanes.go); its results are dot's, bit for bit. nil when
	// the type has none (linear then uses dot).
	dotLanes func(row []byte, d []float32, lw []uint64, sums []int32, nb int) float32
	// prefill is dotLanes of one row with the activation rows t0 <= t < t1
	// of a, writing out[t·ldo], each block unpacked once for all of them;
	// its results are dotLanes's, bit for bit. nil when the type has none.
	prefill func(row []byte, a *lanes, t0, t1 int, out []float32, ldo int)
	// dotRows is dot of one weight row w with n activation rows (row t at
	// a[t·stride:]), writing out[t·ldo], each weight block loaded and
	// unpacked once for several rows; its results are dot's, bit for bit.
	// Only the vector build sets it (vec_amd64.go); linear uses it for
	// more than one activation row.
	dotRows func(w, a []byte, stride, n, nb int, out []float32, ldo int)
	dequant func(src []byte, dst []float32)
}

// kernels holds the kernels of the types this package carries; each
// type's file adds its own.
var kernels = map[uint32]*kernel{}
