//go:build goexperiment.simd

package llmrt

import (
	"encoding/binary"
	"math"
	"simd/archsimd"
)

// The vector kernels: with Go's experimental simd/archsimd package (a
// build with GOEXPERIMENT=simd) on a processor with AVX2 and FMA, the
// dot products of Q4_K, Q6_K, Q8_0 and Q5_0 compute as ggml's AVX2 build
// does, in its instructions. Per block, 32 weight codes times 32
// activation codes make sixteen pair sums in one instruction (VPMADDUBSW,
// unsigned by signed), and a second (VPMADDWD) adds each two pairs,
// weighed by their sub-block's scale, into eight 32-bit lanes: lane k
// holds the exact integer sum over columns 4k..4k+3 of every 32, as the
// portable kernels' lane k does. One fused multiply-add per lane and
// block takes it into a float32 lane, and the lanes are added as hsum8
// adds them. So the results are llama.cpp's, and the portable kernels'
// (dot8Q4_K and the others, lanes.go's dotLanes) bit for bit: VFMADD
// rounds once, as the portable fma32 does (order.go), also where a
// float64 sum would land on a float32 midpoint (TestVecFusedRounding
// makes such a case).
//
// The vector functions take the quantized activation blocks straight
// from linear: init makes them the kernels' dot and clears dotLanes (and
// prefill), so that no lane words are packed. For several activation
// rows (prefill) each also has a dotRows kernel, which unpacks each
// weight block once for four rows and gives each row the one-row
// kernel's result. No pair or lane sum leaves its range: each kernel
// says why. Other builds compile the portable kernels alone.

// vecOn says init installed the vector kernels (the processor has AVX2
// and FMA).
var vecOn bool

// init runs after the kernel files' (the go command gives the compiler a
// package's files in name order, and this one sorts after kern_*.go,
// here and in generated packages; TestVecOn checks it took).
func init() {
	if !archsimd.X86.AVX2() || !archsimd.X86.FMA() {
		return
	}
	for typ, dot := range map[uint32]func(w, a []byte, nb int) float32{
		typeQ4_K: vecDotQ4_K, typeQ6_K: vecDotQ6_K, typeQ8_0: vecDotQ8_0, typeQ5_0: vecDotQ5_0,
	} {
		// A generated package holds only its model's kernel files.
		if k := kernels[typ]; k != nil {
			k.dot, k.dotLanes, k.prefill = dot, nil, nil
		}
	}
	for typ, rows := range map[uint32]func(w, a []byte, stride, n, nb int, out []float32, ldo int){
		typeQ4_K: vecRowsQ4_K, typeQ6_K: vecRowsQ6_K, typeQ5_0: vecRowsQ5_0, typeQ8_0: vecRowsQ8_0,
	} {
		if k := kernels[typ]; k != nil {
			k.dotRows = rows
		}
	}
	keyScores, weightedValues = vecKeyScores, vecWeightedValues
	siluRuns, expShifted = vecSiluRuns, vecExpShifted
	vecOn = true
}

// codes32 loads the 32 bytes at b as a vector.
func codes32(b []byte) archsimd.Uint8x32 { return archsimd.LoadUint8x32((*[32]uint8)(b)) }

// hsumVec adds the float32 lanes of acc as hsum8 does: lanes 4..7 onto
// 0..3, then 2 and 3 onto 0 and 1, then 1 onto 0.
func hsumVec(acc archsimd.Float32x8) float32 {
	return hsum4Vec(acc.GetLo().Add(acc.GetHi()))
}

// hsum4Vec adds the four float32 lanes of s as hsum4 does: (0+2)+(1+3).
func hsum4Vec(s archsimd.Float32x4) float32 {
	s = s.Add(s.SelectFromPair(2, 3, 2, 3, s))
	return s.GetElem(0) + s.GetElem(1)
}

// q8KScaleVec is a Q8_K block's float32 scale (q8k.go's q8KScale, which
// a package without K-quant weights does not carry).
func q8KScaleVec(y *[292]byte) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(y[:])) }

// q4Scale[j] are the shuffle indices that make of eight bytes (in every
// 64-bit lane) sixteen 16-bit lanes of byte j, zero-extended (VPSHUFB
// writes zero for a negative index).
var q4Scale = func() (t [8][32]int8) {
	for j := range t {
		for i := range t[j] {
			t[j][i] = -1
			if i%2 == 0 {
				t[j][i] = int8(j + 8*(i/8%2))
			}
		}
	}
	return t
}()

// vecDotQ4_K is dot8Q4_K with vectors. Chunk c of 32 code bytes holds
// sub-block 2c in its low nibbles and 2c+1 in its high ones: codes 0..15
// times activations in ±127 make pairs of at most 3810, a pair of pairs
// times a 6-bit scale at most 480060, and a lane's sum over the block
// stays under 8·63·4·15·127. The minimums' term takes the 32-code sums
// of the activations (adjacent pairs of Q8_K's 16-code sums, VPHADDW)
// times the sub-blocks' minimums in four lanes (VPMADDWD), each under
// 2·63·4064.
func vecDotQ4_K(w, a []byte, nb int) float32 {
	m4 := archsimd.BroadcastUint8x32(0x0F)
	var acc archsimd.Float32x8
	var accM archsimd.Float32x4
	for b := 0; b < nb; b++ {
		x := (*[144]byte)(w[b*144:])
		y := (*[292]byte)(a[b*292:])
		dy := q8KScaleVec(y)
		d := dy * f16(x[:], 0)
		dmin := -dy * f16(x[:], 2)
		// The eight 6-bit scales and minimums as bytes (scaleMinK4).
		s := le64(x[4:])
		c := uint64(binary.LittleEndian.Uint32(x[12:]))
		sc := archsimd.BroadcastUint64x4(s&0x3F3F3F3F | (c&0x0F0F0F0F|s>>2&0x30303030)<<32).AsUint8x32()
		mn := archsimd.BroadcastUint64x2(s>>32&0x3F3F3F3F | (c>>4&0x0F0F0F0F|s>>34&0x30303030)<<32).AsInt8x16().ExtendLo8ToInt16()
		sumi := q4Chunk(x, y, 0, sc, m4)
		sumi = sumi.Add(q4Chunk(x, y, 1, sc, m4))
		sumi = sumi.Add(q4Chunk(x, y, 2, sc, m4))
		sumi = sumi.Add(q4Chunk(x, y, 3, sc, m4))
		acc = archsimd.BroadcastFloat32x8(d).MulAdd(sumi.ConvertToFloat32(), acc)
		bs := codes32(y[260:]).AsInt16x16()
		prod := mn.DotProductPairs(bs.GetLo().AddPairs(bs.GetHi()))
		accM = archsimd.BroadcastFloat32x4(dmin).MulAdd(prod.ConvertToFloat32(), accM)
	}
	return hsumVec(acc) + hsum4Vec(accM)
}

// vecRowsQ4_K is vecDotQ4_K of the weight row w with n activation rows
// (row t at a[t·stride:]), writing out[t·ldo]: four rows at a time by
// vec4Q4_K, which takes each weight block's scales, minimums and codes
// once for the four; the last one to three by vecDotQ4_K (four rows'
// work costs about as much as three rows one at a time).
func vecRowsQ4_K(w, a []byte, stride, n, nb int, out []float32, ldo int) {
	t := 0
	for ; t+4 <= n; t += 4 {
		out[t*ldo], out[(t+1)*ldo], out[(t+2)*ldo], out[(t+3)*ldo] = vec4Q4_K(w, a[t*stride:], a[(t+1)*stride:], a[(t+2)*stride:], a[(t+3)*stride:], nb)
	}
	for ; t < n; t++ {
		out[t*ldo] = vecDotQ4_K(w, a[t*stride:], nb)
	}
}

// vec4Q4_K is vecDotQ4_K of w with four activation rows a0..a3. Per
// block and row it makes the same integer lanes (their sum over the four
// chunks is exact, so its order is free) and the same two fused
// multiply-adds, so each result is vecDotQ4_K's bit for bit. The
// accumulators are separate variables, not arrays, so that they can stay
// in registers.
func vec4Q4_K(w, a0, a1, a2, a3 []byte, nb int) (r0, r1, r2, r3 float32) {
	m4 := archsimd.BroadcastUint8x32(0x0F)
	var acc0, acc1, acc2, acc3 archsimd.Float32x8
	var accM0, accM1, accM2, accM3 archsimd.Float32x4
	for b := 0; b < nb; b++ {
		x := (*[144]byte)(w[b*144:])
		y0 := (*[292]byte)(a0[b*292:])
		y1 := (*[292]byte)(a1[b*292:])
		y2 := (*[292]byte)(a2[b*292:])
		y3 := (*[292]byte)(a3[b*292:])
		s := le64(x[4:])
		c := uint64(binary.LittleEndian.Uint32(x[12:]))
		sc := archsimd.BroadcastUint64x4(s&0x3F3F3F3F | (c&0x0F0F0F0F|s>>2&0x30303030)<<32).AsUint8x32()
		mn := archsimd.BroadcastUint64x2(s>>32&0x3F3F3F3F | (c>>4&0x0F0F0F0F|s>>34&0x30303030)<<32).AsInt8x16().ExtendLo8ToInt16()
		var s0, s1, s2, s3 archsimd.Int32x8
		for k := 0; k < 4; k++ {
			q := codes32(x[16+32*k:])
			lo := q.And(m4)
			hi := q.AsUint16x16().ShiftAllRight(4).AsUint8x32().And(m4)
			sl := sc.PermuteOrZeroGrouped(archsimd.LoadInt8x32(&q4Scale[2*k])).AsInt16x16()
			sh := sc.PermuteOrZeroGrouped(archsimd.LoadInt8x32(&q4Scale[2*k+1])).AsInt16x16()
			s0 = s0.Add(q4Pair(lo, hi, sl, sh, y0, k))
			s1 = s1.Add(q4Pair(lo, hi, sl, sh, y1, k))
			s2 = s2.Add(q4Pair(lo, hi, sl, sh, y2, k))
			s3 = s3.Add(q4Pair(lo, hi, sl, sh, y3, k))
		}
		fd, fm := f16(x[:], 0), f16(x[:], 2)
		acc0, accM0 = q4Block(y0, fd, fm, mn, s0, acc0, accM0)
		acc1, accM1 = q4Block(y1, fd, fm, mn, s1, acc1, accM1)
		acc2, accM2 = q4Block(y2, fd, fm, mn, s2, acc2, accM2)
		acc3, accM3 = q4Block(y3, fd, fm, mn, s3, acc3, accM3)
	}
	return hsumVec(acc0) + hsum4Vec(accM0), hsumVec(acc1) + hsum4Vec(accM1), hsumVec(acc2) + hsum4Vec(accM2), hsumVec(acc3) + hsum4Vec(accM3)
}

// q4Pair is q4Chunk of chunk k with its codes unpacked (lo, hi) and its
// two sub-blocks' scales shuffled (sl, sh) for activation block y.
func q4Pair(lo, hi archsimd.Uint8x32, sl, sh archsimd.Int16x16, y *[292]byte, k int) archsimd.Int32x8 {
	return lo.DotProductPairsSaturated(codes32(y[4+64*k:]).AsInt8x32()).DotProductPairs(sl).Add(hi.DotProductPairsSaturated(codes32(y[36+64*k:]).AsInt8x32()).DotProductPairs(sh))
}

// q4Block takes one block's integer lanes sumi into a row's accumulators
// as vecDotQ4_K does: d = dy·d(x) and dmin = -dy·dmin(x) (fd and fm, the
// block's binary16 scales widened), and the minimums' term of y with mn.
func q4Block(y *[292]byte, fd, fm float32, mn archsimd.Int16x8, sumi archsimd.Int32x8, acc archsimd.Float32x8, accM archsimd.Float32x4) (archsimd.Float32x8, archsimd.Float32x4) {
	dy := q8KScaleVec(y)
	acc = archsimd.BroadcastFloat32x8(dy*fd).MulAdd(sumi.ConvertToFloat32(), acc)
	bs := codes32(y[260:]).AsInt16x16()
	prod := mn.DotProductPairs(bs.GetLo().AddPairs(bs.GetHi()))
	return acc, archsimd.BroadcastFloat32x4(-dy*fm).MulAdd(prod.ConvertToFloat32(), accM)
}

// q4Chunk is Σscale·code·activation of chunk k of a Q4_K block x's code
// bytes in eight 32-bit lanes: its low nibbles (sub-block 2k) times the
// activations of y's sub-block 2k, its high nibbles times those of 2k+1,
// each pair of pairs weighed by its sub-block's scale, which q4Scale's
// shuffle indices take out of sc.
func q4Chunk(x *[144]byte, y *[292]byte, k int, sc, m4 archsimd.Uint8x32) archsimd.Int32x8 {
	q := codes32(x[16+32*k:])
	lo := q.And(m4).DotProductPairsSaturated(codes32(y[4+64*k:]).AsInt8x32()).DotProductPairs(sc.PermuteOrZeroGrouped(archsimd.LoadInt8x32(&q4Scale[2*k])).AsInt16x16())
	hi := q.AsUint16x16().ShiftAllRight(4).AsUint8x32().And(m4).DotProductPairsSaturated(codes32(y[36+64*k:]).AsInt8x32()).DotProductPairs(sc.PermuteOrZeroGrouped(archsimd.LoadInt8x32(&q4Scale[2*k+1])).AsInt16x16())
	return lo.Add(hi)
}

// q6Scale[j] are the shuffle indices that make of eight int16 scales (in
// both 128-bit halves) eight copies of scale 2j in the first half, eight
// of 2j+1 in the second.
var q6Scale = func() (t [4][32]int8) {
	for j := range t {
		for i := range t[j] {
			w := 2*j + i/16 // the scale of 16-bit lane i/2
			t[j][i] = int8(2*w + i%2)
		}
	}
	return t
}()

// vecDotQ6_K is dot8Q6_K with vectors. Each half of a block makes four
// vectors of 32 unsigned codes (a nibble of ql under two bits of qh, as
// q6Codes takes them); the offset of 32 comes off every pair, as ggml
// takes it, by subtracting 32 times the activations' pair (VPMADDUBSW
// again): pairs of (code-32)·activation lie within ±2·32·127, a pair of
// pairs times an int8 scale within ±4·32·127·128, and a lane's sum over
// the block under 2^24.
func vecDotQ6_K(w, a []byte, nb int) float32 {
	m4 := archsimd.BroadcastUint8x32(0x0F)
	m30 := archsimd.BroadcastUint8x32(0x30)
	m32 := archsimd.BroadcastUint8x32(32)
	var acc archsimd.Float32x8
	for b := 0; b < nb; b++ {
		x := (*[210]byte)(w[b*210:])
		y := (*[292]byte)(a[b*292:])
		// The sixteen scales as int16: the first eight (the block's first
		// half) in both 128-bit halves of scl[0], the last eight in both
		// of scl[1].
		e := archsimd.LoadUint8x16((*[16]uint8)(x[192:])).AsInt8x16().ExtendToInt16()
		scl := [2]archsimd.Uint8x32{e.Select128FromPair(0, 0, e).AsUint8x32(), e.Select128FromPair(1, 1, e).AsUint8x32()}
		var sumi archsimd.Int32x8
		for h := 0; h < 2; h++ {
			A, B, H := codes32(x[64*h:]), codes32(x[64*h+32:]), codes32(x[128+32*h:])
			H16 := H.AsUint16x16()
			c0 := A.And(m4).Or(H16.ShiftAllLeft(4).AsUint8x32().And(m30))
			c1 := B.And(m4).Or(H16.ShiftAllLeft(2).AsUint8x32().And(m30))
			c2 := A.AsUint16x16().ShiftAllRight(4).AsUint8x32().And(m4).Or(H.And(m30))
			c3 := B.AsUint16x16().ShiftAllRight(4).AsUint8x32().And(m4).Or(H16.ShiftAllRight(2).AsUint8x32().And(m30))
			o := 4 + 128*h
			sumi = sumi.Add(vecQ6Group(c0, codes32(y[o:]).AsInt8x32(), scl[h], 0, m32))
			sumi = sumi.Add(vecQ6Group(c1, codes32(y[o+32:]).AsInt8x32(), scl[h], 1, m32))
			sumi = sumi.Add(vecQ6Group(c2, codes32(y[o+64:]).AsInt8x32(), scl[h], 2, m32))
			sumi = sumi.Add(vecQ6Group(c3, codes32(y[o+96:]).AsInt8x32(), scl[h], 3, m32))
		}
		d := q8KScaleVec(y) * f16(x[:], 208)
		acc = archsimd.BroadcastFloat32x8(d).MulAdd(sumi.ConvertToFloat32(), acc)
	}
	return hsumVec(acc)
}

// vecRowsQ6_K is vecDotQ6_K of the weight row w with n activation rows
// (row t at a[t·stride:]), writing out[t·ldo], as vecRowsQ4_K is for
// Q4_K: four rows at a time by vec4Q6_K.
func vecRowsQ6_K(w, a []byte, stride, n, nb int, out []float32, ldo int) {
	t := 0
	for ; t+4 <= n; t += 4 {
		out[t*ldo], out[(t+1)*ldo], out[(t+2)*ldo], out[(t+3)*ldo] = vec4Q6_K(w, a[t*stride:], a[(t+1)*stride:], a[(t+2)*stride:], a[(t+3)*stride:], nb)
	}
	for ; t < n; t++ {
		out[t*ldo] = vecDotQ6_K(w, a[t*stride:], nb)
	}
}

// vec4Q6_K is vecDotQ6_K of w with four activation rows a0..a3: each
// group's codes and shuffled scales are made once for the four rows, and
// each row gets vecDotQ6_K's integer lanes (their sum over the groups is
// exact) and its one fused multiply-add per block, so its result bit for
// bit.
func vec4Q6_K(w, a0, a1, a2, a3 []byte, nb int) (r0, r1, r2, r3 float32) {
	m4 := archsimd.BroadcastUint8x32(0x0F)
	m30 := archsimd.BroadcastUint8x32(0x30)
	m32 := archsimd.BroadcastUint8x32(32)
	var acc0, acc1, acc2, acc3 archsimd.Float32x8
	for b := 0; b < nb; b++ {
		x := (*[210]byte)(w[b*210:])
		y0 := (*[292]byte)(a0[b*292:])
		y1 := (*[292]byte)(a1[b*292:])
		y2 := (*[292]byte)(a2[b*292:])
		y3 := (*[292]byte)(a3[b*292:])
		e := archsimd.LoadUint8x16((*[16]uint8)(x[192:])).AsInt8x16().ExtendToInt16()
		scl := [2]archsimd.Uint8x32{e.Select128FromPair(0, 0, e).AsUint8x32(), e.Select128FromPair(1, 1, e).AsUint8x32()}
		var s0, s1, s2, s3 archsimd.Int32x8
		for h := 0; h < 2; h++ {
			A, B, H := codes32(x[64*h:]), codes32(x[64*h+32:]), codes32(x[128+32*h:])
			H16 := H.AsUint16x16()
			o := 4 + 128*h
			c := A.And(m4).Or(H16.ShiftAllLeft(4).AsUint8x32().And(m30))
			s0, s1, s2, s3 = q6Rows4(c, scl[h], 0, m32, y0, y1, y2, y3, o, s0, s1, s2, s3)
			c = B.And(m4).Or(H16.ShiftAllLeft(2).AsUint8x32().And(m30))
			s0, s1, s2, s3 = q6Rows4(c, scl[h], 1, m32, y0, y1, y2, y3, o+32, s0, s1, s2, s3)
			c = A.AsUint16x16().ShiftAllRight(4).AsUint8x32().And(m4).Or(H.And(m30))
			s0, s1, s2, s3 = q6Rows4(c, scl[h], 2, m32, y0, y1, y2, y3, o+64, s0, s1, s2, s3)
			c = B.AsUint16x16().ShiftAllRight(4).AsUint8x32().And(m4).Or(H16.ShiftAllRight(2).AsUint8x32().And(m30))
			s0, s1, s2, s3 = q6Rows4(c, scl[h], 3, m32, y0, y1, y2, y3, o+96, s0, s1, s2, s3)
		}
		fd := f16(x[:], 208)
		acc0 = archsimd.BroadcastFloat32x8(q8KScaleVec(y0)*fd).MulAdd(s0.ConvertToFloat32(), acc0)
		acc1 = archsimd.BroadcastFloat32x8(q8KScaleVec(y1)*fd).MulAdd(s1.ConvertToFloat32(), acc1)
		acc2 = archsimd.BroadcastFloat32x8(q8KScaleVec(y2)*fd).MulAdd(s2.ConvertToFloat32(), acc2)
		acc3 = archsimd.BroadcastFloat32x8(q8KScaleVec(y3)*fd).MulAdd(s3.ConvertToFloat32(), acc3)
	}
	return hsumVec(acc0), hsumVec(acc1), hsumVec(acc2), hsumVec(acc3)
}

// q6Rows4 adds vecQ6Group of the codes c of group j (their activations
// at offset o of y0..y3) to the four rows' integer lanes s0..s3, with
// the group's scales shuffled once for the four.
func q6Rows4(c, sc archsimd.Uint8x32, j int, m32 archsimd.Uint8x32, y0, y1, y2, y3 *[292]byte, o int, s0, s1, s2, s3 archsimd.Int32x8) (archsimd.Int32x8, archsimd.Int32x8, archsimd.Int32x8, archsimd.Int32x8) {
	scj := sc.PermuteOrZeroGrouped(archsimd.LoadInt8x32(&q6Scale[j])).AsInt16x16()
	return s0.Add(q6Row(c, codes32(y0[o:]).AsInt8x32(), scj, m32)), s1.Add(q6Row(c, codes32(y1[o:]).AsInt8x32(), scj, m32)),
		s2.Add(q6Row(c, codes32(y2[o:]).AsInt8x32(), scj, m32)), s3.Add(q6Row(c, codes32(y3[o:]).AsInt8x32(), scj, m32))
}

// q6Row is vecQ6Group with the group's scales already shuffled (scj).
func q6Row(c archsimd.Uint8x32, q8 archsimd.Int8x32, scj archsimd.Int16x16, m32 archsimd.Uint8x32) archsimd.Int32x8 {
	return c.DotProductPairsSaturated(q8).Sub(m32.DotProductPairsSaturated(q8)).DotProductPairs(scj)
}

// vecQ6Group is Σscale·(code-32)·activation over group 4h+j of 32 elements
// in eight 32-bit lanes (lane k: elements 4k..4k+3): codes c in 0..63,
// activations q8, the int16 scales of the block's half h in both halves
// of sc, m32 32 in every byte.
func vecQ6Group(c archsimd.Uint8x32, q8 archsimd.Int8x32, sc archsimd.Uint8x32, j int, m32 archsimd.Uint8x32) archsimd.Int32x8 {
	p := c.DotProductPairsSaturated(q8).Sub(m32.DotProductPairsSaturated(q8))
	return p.DotProductPairs(sc.PermuteOrZeroGrouped(archsimd.LoadInt8x32(&q6Scale[j])).AsInt16x16())
}

// vecDotQ8_0 is dot8Q8_0 with vectors: the product of two signed codes
// as |w| times a with w's sign (VPSIGNB), as the unsigned-by-signed
// multiply takes them and as ggml does; |w| <= 128 and |a| <= 127 keep a
// pair within ±2·128·127.
func vecDotQ8_0(w, a []byte, nb int) float32 {
	one := archsimd.BroadcastInt16x16(1)
	var acc archsimd.Float32x8
	for b := 0; b < nb; b++ {
		x := (*[34]byte)(w[b*34:])
		y := (*[34]byte)(a[b*34:])
		qx, qy := codes32(x[2:]).AsInt8x32(), codes32(y[2:]).AsInt8x32()
		s := qx.Abs().AsUint8x32().DotProductPairsSaturated(qy.CopySign(qx)).DotProductPairs(one)
		d := f16(x[:], 0) * f16(y[:], 0)
		acc = archsimd.BroadcastFloat32x8(d).MulAdd(s.ConvertToFloat32(), acc)
	}
	return hsumVec(acc)
}

// vecRowsQ8_0 is vecDotQ8_0 of the weight row w with n activation rows
// (row t at a[t·stride:]), writing out[t·ldo], as vecRowsQ4_K is for
// Q4_K: four rows at a time by vec4Q8_0.
func vecRowsQ8_0(w, a []byte, stride, n, nb int, out []float32, ldo int) {
	t := 0
	for ; t+4 <= n; t += 4 {
		out[t*ldo], out[(t+1)*ldo], out[(t+2)*ldo], out[(t+3)*ldo] = vec4Q8_0(w, a[t*stride:], a[(t+1)*stride:], a[(t+2)*stride:], a[(t+3)*stride:], nb)
	}
	for ; t < n; t++ {
		out[t*ldo] = vecDotQ8_0(w, a[t*stride:], nb)
	}
}

// vec4Q8_0 is vecDotQ8_0 of w with four activation rows a0..a3: each
// block's |w| is taken once for the four rows, and each row gets
// vecDotQ8_0's pairs and fused multiply-add, so its result bit for bit.
func vec4Q8_0(w, a0, a1, a2, a3 []byte, nb int) (r0, r1, r2, r3 float32) {
	one := archsimd.BroadcastInt16x16(1)
	var acc0, acc1, acc2, acc3 archsimd.Float32x8
	for b := 0; b < nb; b++ {
		x := (*[34]byte)(w[b*34:])
		qx := codes32(x[2:]).AsInt8x32()
		ax := qx.Abs().AsUint8x32()
		dx := f16(x[:], 0)
		acc0 = q8Row(qx, ax, (*[34]byte)(a0[b*34:]), dx, one, acc0)
		acc1 = q8Row(qx, ax, (*[34]byte)(a1[b*34:]), dx, one, acc1)
		acc2 = q8Row(qx, ax, (*[34]byte)(a2[b*34:]), dx, one, acc2)
		acc3 = q8Row(qx, ax, (*[34]byte)(a3[b*34:]), dx, one, acc3)
	}
	return hsumVec(acc0), hsumVec(acc1), hsumVec(acc2), hsumVec(acc3)
}

// q8Row is one block of vecDotQ8_0 with the weight codes qx and their
// magnitudes ax taken: the fused multiply-add into acc with d = dx·d(y).
func q8Row(qx archsimd.Int8x32, ax archsimd.Uint8x32, y *[34]byte, dx float32, one archsimd.Int16x16, acc archsimd.Float32x8) archsimd.Float32x8 {
	s := ax.DotProductPairsSaturated(codes32(y[2:]).AsInt8x32().CopySign(qx)).DotProductPairs(one)
	return archsimd.BroadcastFloat32x8(dx*f16(y[:], 0)).MulAdd(s.ConvertToFloat32(), acc)
}

// q5Spread and q5Bits take Q5_0's 32 fifth bits (qh, in every 32-bit
// lane) to their codes' bytes: byte j of each 128-bit half is copied
// from qh's byte j/8 (the second half's from bytes 2 and 3), then bit j%8
// of it kept.
var (
	q5Spread = [32]int8{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3}
	q5Bits   = [32]uint8{1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128}
)

// vecDotQ5_0 is dot8Q5_0 with vectors: the unsigned codes 0..31 (a
// nibble under its fifth bit) times the activations, less 16 times the
// activations, pair by pair (pairs within ±2·31·127).
func vecDotQ5_0(w, a []byte, nb int) float32 {
	m4 := archsimd.BroadcastUint8x16(0x0F)
	m16 := archsimd.BroadcastUint8x32(16)
	one8 := archsimd.BroadcastUint8x32(1)
	one := archsimd.BroadcastInt16x16(1)
	spread, bits := archsimd.LoadInt8x32(&q5Spread), archsimd.LoadUint8x32(&q5Bits)
	var acc archsimd.Float32x8
	for b := 0; b < nb; b++ {
		x := (*[22]byte)(w[b*22:])
		y := (*[34]byte)(a[b*34:])
		nib := archsimd.LoadUint8x16((*[16]uint8)(x[6:]))
		qh := archsimd.BroadcastUint32x8(binary.LittleEndian.Uint32(x[2:])).AsUint8x32().PermuteOrZeroGrouped(spread).And(bits)
		c := archsimd.Uint8x32{}.SetLo(nib.And(m4)).SetHi(nib.AsUint16x8().ShiftAllRight(4).AsUint8x16().And(m4))
		// A byte of qh is 0 or 2^(j%8): at most 1 after Min, shifted to bit 4.
		c = c.Or(qh.Min(one8).AsUint16x16().ShiftAllLeft(4).AsUint8x32())
		qy := codes32(y[2:]).AsInt8x32()
		s := c.DotProductPairsSaturated(qy).Sub(m16.DotProductPairsSaturated(qy)).DotProductPairs(one)
		d := f16(x[:], 0) * f16(y[:], 0)
		acc = archsimd.BroadcastFloat32x8(d).MulAdd(s.ConvertToFloat32(), acc)
	}
	return hsumVec(acc)
}

// vecRowsQ5_0 is vecDotQ5_0 of the weight row w with n activation rows
// (row t at a[t·stride:]), writing out[t·ldo], as vecRowsQ4_K is for
// Q4_K: four rows at a time by vec4Q5_0.
func vecRowsQ5_0(w, a []byte, stride, n, nb int, out []float32, ldo int) {
	t := 0
	for ; t+4 <= n; t += 4 {
		out[t*ldo], out[(t+1)*ldo], out[(t+2)*ldo], out[(t+3)*ldo] = vec4Q5_0(w, a[t*stride:], a[(t+1)*stride:], a[(t+2)*stride:], a[(t+3)*stride:], nb)
	}
	for ; t < n; t++ {
		out[t*ldo] = vecDotQ5_0(w, a[t*stride:], nb)
	}
}

// vec4Q5_0 is vecDotQ5_0 of w with four activation rows a0..a3: each
// block's 32 five-bit codes are made once for the four rows, and each row
// gets vecDotQ5_0's pairs and fused multiply-add, so its result bit for
// bit.
func vec4Q5_0(w, a0, a1, a2, a3 []byte, nb int) (r0, r1, r2, r3 float32) {
	m4 := archsimd.BroadcastUint8x16(0x0F)
	m16 := archsimd.BroadcastUint8x32(16)
	one8 := archsimd.BroadcastUint8x32(1)
	one := archsimd.BroadcastInt16x16(1)
	spread, bits := archsimd.LoadInt8x32(&q5Spread), archsimd.LoadUint8x32(&q5Bits)
	var acc0, acc1, acc2, acc3 archsimd.Float32x8
	for b := 0; b < nb; b++ {
		x := (*[22]byte)(w[b*22:])
		nib := archsimd.LoadUint8x16((*[16]uint8)(x[6:]))
		qh := archsimd.BroadcastUint32x8(binary.LittleEndian.Uint32(x[2:])).AsUint8x32().PermuteOrZeroGrouped(spread).And(bits)
		c := archsimd.Uint8x32{}.SetLo(nib.And(m4)).SetHi(nib.AsUint16x8().ShiftAllRight(4).AsUint8x16().And(m4))
		c = c.Or(qh.Min(one8).AsUint16x16().ShiftAllLeft(4).AsUint8x32())
		dx := f16(x[:], 0)
		acc0 = q5Row(c, (*[34]byte)(a0[b*34:]), dx, m16, one, acc0)
		acc1 = q5Row(c, (*[34]byte)(a1[b*34:]), dx, m16, one, acc1)
		acc2 = q5Row(c, (*[34]byte)(a2[b*34:]), dx, m16, one, acc2)
		acc3 = q5Row(c, (*[34]byte)(a3[b*34:]), dx, m16, one, acc3)
	}
	return hsumVec(acc0), hsumVec(acc1), hsumVec(acc2), hsumVec(acc3)
}

// q5Row is one block of vecDotQ5_0 with its codes c made: the pairs of c
// times y's codes less 16 times them, and the fused multiply-add into acc
// with d = dx·d(y).
func q5Row(c archsimd.Uint8x32, y *[34]byte, dx float32, m16 archsimd.Uint8x32, one archsimd.Int16x16, acc archsimd.Float32x8) archsimd.Float32x8 {
	qy := codes32(y[2:]).AsInt8x32()
	s := c.DotProductPairsSaturated(qy).Sub(m16.DotProductPairsSaturated(qy)).DotProductPairs(one)
	return archsimd.BroadcastFloat32x8(dx*f16(y[:], 0)).MulAdd(s.ConvertToFloat32(), acc)
}

// The attention's dot products over the F16 cache on vectors. Every
// product of a binary16 value and a float32 value that is itself a
// binary16 number is exact in float32, so lanes of eight products added
// in f16Dot's order give f16Dot's sums bit for bit. A cached value that
// is infinite or NaN (exponent bits all ones) sends the whole call to the
// portable form, which widens such values specially.

// h2fVec widens eight binary16 values as h2f does (finite ones only).
func h2fVec(u archsimd.Uint16x8) archsimd.Float32x8 {
	bits := u.AsInt16x8().ExtendToInt32().ShiftAllLeft(13).And(archsimd.BroadcastInt32x8(-0x70002000)) // 0x8fffe000
	return bits.AsFloat32x8().Mul(archsimd.BroadcastFloat32x8(0x1p112))
}

// allFinite reports that no lane of the running maximum of exponent bits
// e is 0x7c00.
func allFinite(e archsimd.Uint16x8) bool {
	for i := range uint8(8) {
		if e.GetElem(i) == 0x7c00 {
			return false
		}
	}
	return true
}

// vecKeyDot is f16Dot for a contiguous row (stride 1) whose width is its
// length: eight lanes over the row (batch, a multiple of 8), or four
// eight-lane accumulators over each run of 32 (a multiple of 32); other
// shapes go to f16Dot.
func vecKeyDot(n, width int, a []uint16, stride int, b []float32, batch bool) float32 {
	if stride != 1 || n != width || n%8 != 0 || (!batch && n%32 != 0) {
		return f16Dot(n, width, a, stride, b, batch)
	}
	a, b = a[:n], b[:n]
	expMask := archsimd.BroadcastUint16x8(0x7c00)
	var e archsimd.Uint16x8
	if batch {
		var acc archsimd.Float32x8
		for i := 0; i < n; i += 8 {
			u := archsimd.LoadUint16x8((*[8]uint16)(a[i:]))
			e = e.Max(u.And(expMask))
			acc = acc.Add(h2fVec(u).Mul(archsimd.LoadFloat32x8((*[8]float32)(b[i:]))))
		}
		if !allFinite(e) {
			return f16Dot(n, width, a, stride, b, batch)
		}
		return hsumVec(acc)
	}
	var acc [4]archsimd.Float32x8
	for i := 0; i < n; i += 32 {
		for q := range 4 {
			u := archsimd.LoadUint16x8((*[8]uint16)(a[i+8*q:]))
			e = e.Max(u.And(expMask))
			acc[q] = acc[q].Add(h2fVec(u).Mul(archsimd.LoadFloat32x8((*[8]float32)(b[i+8*q:]))))
		}
	}
	if !allFinite(e) {
		return f16Dot(n, width, a, stride, b, batch)
	}
	return sum32Order(acc[0].Add(acc[2]).Add(acc[1].Add(acc[3])))
}

// h2fScaled loads 8 binary16 values at a as float32 values 2^-112 times
// theirs (h2fVec without its last multiply): exact for finite values,
// subnormals included. A product with a float32 y·2^112 is then the
// product with y.
func h2fScaled(a []uint16) archsimd.Float32x8 { return h2fScaled8((*[8]uint16)(a)) }

// vecKeyScores is keyScoresGo on vectors: for a cache with no infinity or
// NaN (finite) and rows of a multiple of 32 values (8 with batch, up to
// 256), each row's products in f16Dot's accumulators, one multiply-add
// each (the products of two binary16 values are exact, so one rounding
// or two give the same sums), against the query scaled by 2^112 once
// (h2fScaled); else vecKeyDot row by row.
func vecKeyScores(sc []float32, k []uint16, stride int, q []float32, scale float32, batch, finite bool) {
	hd := len(q)
	if !keyFast(hd, batch, finite) {
		for j := range sc {
			sc[j] = vecKeyDot(hd, hd, k[j*stride:j*stride+hd], 1, q, batch) * scale
		}
		return
	}
	var qs [256]float32
	scaleQuery(&qs, q)
	if hd == 64 {
		if batch {
			keyScores64Batch(sc, k, stride, &qs, scale)
		} else {
			keyScores64(sc, k, stride, &qs, scale)
		}
		return
	}
	for j := range sc {
		row := k[j*stride : j*stride+hd]
		if batch {
			var acc archsimd.Float32x8
			for i := 0; i < hd; i += 8 {
				acc = h2fScaled(row[i:]).MulAdd(archsimd.LoadFloat32x8((*[8]float32)(qs[i:])), acc)
			}
			sc[j] = hsumVec(acc) * scale
			continue
		}
		var a0, a1, a2, a3 archsimd.Float32x8
		for i := 0; i < hd; i += 32 {
			r, y := (*[32]uint16)(row[i:]), (*[32]float32)(qs[i:])
			a0 = h2fScaled8((*[8]uint16)(r[0:8])).MulAdd(archsimd.LoadFloat32x8((*[8]float32)(y[0:8])), a0)
			a1 = h2fScaled8((*[8]uint16)(r[8:16])).MulAdd(archsimd.LoadFloat32x8((*[8]float32)(y[8:16])), a1)
			a2 = h2fScaled8((*[8]uint16)(r[16:24])).MulAdd(archsimd.LoadFloat32x8((*[8]float32)(y[16:24])), a2)
			a3 = h2fScaled8((*[8]uint16)(r[24:32])).MulAdd(archsimd.LoadFloat32x8((*[8]float32)(y[24:32])), a3)
		}
		sc[j] = sum32Order(a0.Add(a2).Add(a1.Add(a3))) * scale
	}
}

// keyScores64 is vecKeyScores for rows of 64 values without batch (the
// common head width), the scaled query held in eight vectors.
func keyScores64(sc []float32, k []uint16, stride int, qs *[256]float32, scale float32) {
	q0, q1 := archsimd.LoadFloat32x8((*[8]float32)(qs[0:8])), archsimd.LoadFloat32x8((*[8]float32)(qs[8:16]))
	q2, q3 := archsimd.LoadFloat32x8((*[8]float32)(qs[16:24])), archsimd.LoadFloat32x8((*[8]float32)(qs[24:32]))
	q4, q5 := archsimd.LoadFloat32x8((*[8]float32)(qs[32:40])), archsimd.LoadFloat32x8((*[8]float32)(qs[40:48]))
	q6, q7 := archsimd.LoadFloat32x8((*[8]float32)(qs[48:56])), archsimd.LoadFloat32x8((*[8]float32)(qs[56:64]))
	var zero archsimd.Float32x8
	for j := range sc {
		row := (*[64]uint16)(k[j*stride:])
		a0 := h2fScaled8((*[8]uint16)(row[0:8])).MulAdd(q0, zero)
		a1 := h2fScaled8((*[8]uint16)(row[8:16])).MulAdd(q1, zero)
		a2 := h2fScaled8((*[8]uint16)(row[16:24])).MulAdd(q2, zero)
		a3 := h2fScaled8((*[8]uint16)(row[24:32])).MulAdd(q3, zero)
		a0 = h2fScaled8((*[8]uint16)(row[32:40])).MulAdd(q4, a0)
		a1 = h2fScaled8((*[8]uint16)(row[40:48])).MulAdd(q5, a1)
		a2 = h2fScaled8((*[8]uint16)(row[48:56])).MulAdd(q6, a2)
		a3 = h2fScaled8((*[8]uint16)(row[56:64])).MulAdd(q7, a3)
		sc[j] = sum32Order(a0.Add(a2).Add(a1.Add(a3))) * scale
	}
}

// keyScores64Batch is keyScores64 with batch: one accumulator per row
// (f16Dot's eight lanes by position mod 8), four rows at a time so that
// their chains of multiply-adds overlap.
func keyScores64Batch(sc []float32, k []uint16, stride int, qs *[256]float32, scale float32) {
	var q [8]archsimd.Float32x8
	for c := range q {
		q[c] = archsimd.LoadFloat32x8((*[8]float32)(qs[8*c : 8*c+8]))
	}
	j := 0
	for ; j+4 <= len(sc); j += 4 {
		r0, r1 := (*[64]uint16)(k[j*stride:]), (*[64]uint16)(k[(j+1)*stride:])
		r2, r3 := (*[64]uint16)(k[(j+2)*stride:]), (*[64]uint16)(k[(j+3)*stride:])
		var a0, a1, a2, a3 archsimd.Float32x8
		for c := range 8 {
			a0 = h2fScaled8((*[8]uint16)(r0[8*c:])).MulAdd(q[c], a0)
			a1 = h2fScaled8((*[8]uint16)(r1[8*c:])).MulAdd(q[c], a1)
			a2 = h2fScaled8((*[8]uint16)(r2[8*c:])).MulAdd(q[c], a2)
			a3 = h2fScaled8((*[8]uint16)(r3[8*c:])).MulAdd(q[c], a3)
		}
		sc[j], sc[j+1] = hsumVec(a0)*scale, hsumVec(a1)*scale
		sc[j+2], sc[j+3] = hsumVec(a2)*scale, hsumVec(a3)*scale
	}
	for ; j < len(sc); j++ {
		row := (*[64]uint16)(k[j*stride:])
		var a archsimd.Float32x8
		for c := range 8 {
			a = h2fScaled8((*[8]uint16)(row[8*c:])).MulAdd(q[c], a)
		}
		sc[j] = hsumVec(a) * scale
	}
}

// h2fScaled8 is h2fScaled of an array of 8.
func h2fScaled8(a *[8]uint16) archsimd.Float32x8 {
	return archsimd.LoadUint16x8(a).AsInt16x8().ExtendToInt32().ShiftAllLeft(13).And(archsimd.BroadcastInt32x8(-0x70002000)).AsFloat32x8()
}

// sum32Order adds the lanes x of f16Dot's four-accumulator form: lanes
// l+4 onto l, then (0+1)+(2+3).
func sum32Order(x archsimd.Float32x8) float32 {
	y := x.GetLo().Add(x.GetHi())
	return (y.GetElem(0) + y.GetElem(1)) + (y.GetElem(2) + y.GetElem(3))
}

// vecWeightedValues is weightedValuesGo on vectors of eight outputs: per
// output lane, the lane accumulators of f16Dot (eight by position mod 8
// with batch, else 32 by position mod 32) are vectors over eight
// consecutive outputs, reduced in f16Dot's orders. Outputs not a multiple
// of 8 go to the portable form.
func vecWeightedValues(o []float32, v []uint16, stride int, w []float32, batch, finite bool, acc []float32) {
	if len(o)%8 != 0 {
		weightedValuesGo(o, v, stride, w, batch, finite, acc)
		return
	}
	if finite && len(o)%64 == 0 {
		// Wider heads as slices of 64 outputs, each over every position.
		for c := 0; c < len(o); c += 64 {
			weightedValues64((*[64]float32)(o[c:c+64]), v[c:], stride, w, batch)
		}
		return
	}
	if finite && len(o) <= 128 {
		vecWeightedValuesFinite(o, v, stride, w, batch)
		return
	}
	expMask := archsimd.BroadcastUint16x8(0x7c00)
	var e archsimd.Uint16x8
	classes := 32
	if batch {
		classes = 8
	}
	for c := 0; c < len(o); c += 8 {
		var l [32]archsimd.Float32x8
		for j, wj := range w {
			u := archsimd.LoadUint16x8((*[8]uint16)(v[j*stride+c:]))
			e = e.Max(u.And(expMask))
			l[j&(classes-1)] = l[j&(classes-1)].Add(h2fVec(u).Mul(archsimd.BroadcastFloat32x8(wj)))
		}
		reduceClasses(&l, batch).Store((*[8]float32)(o[c:]))
	}
	if !allFinite(e) {
		weightedValuesRef(o, v, stride, w, batch)
	}
}

// weightedValues64 is vecWeightedValuesFinite for 64 outputs: the 32
// classes of positions (8 with batch) times 8 vectors of outputs.
func weightedValues64(o *[64]float32, v []uint16, stride int, w []float32, batch bool) {
	var l [32][8]archsimd.Float32x8
	classes := 32
	if batch {
		classes = 8
	}
	for j, wj := range w {
		b := archsimd.BroadcastFloat32x8(wj * 0x1p112) // wj is a binary16 value
		row, a := (*[64]uint16)(v[j*stride:]), &l[j%classes]
		a[0] = h2fScaled8((*[8]uint16)(row[0:8])).MulAdd(b, a[0])
		a[1] = h2fScaled8((*[8]uint16)(row[8:16])).MulAdd(b, a[1])
		a[2] = h2fScaled8((*[8]uint16)(row[16:24])).MulAdd(b, a[2])
		a[3] = h2fScaled8((*[8]uint16)(row[24:32])).MulAdd(b, a[3])
		a[4] = h2fScaled8((*[8]uint16)(row[32:40])).MulAdd(b, a[4])
		a[5] = h2fScaled8((*[8]uint16)(row[40:48])).MulAdd(b, a[5])
		a[6] = h2fScaled8((*[8]uint16)(row[48:56])).MulAdd(b, a[6])
		a[7] = h2fScaled8((*[8]uint16)(row[56:64])).MulAdd(b, a[7])
	}
	for c := range 8 {
		var a [32]archsimd.Float32x8
		for k := range classes {
			a[k] = l[k][c]
		}
		reduceClasses(&a, batch).Store((*[8]float32)(o[8*c : 8*c+8]))
	}
}

// vecWeightedValuesFinite is vecWeightedValues for a cache with no
// infinity or NaN and at most 128 outputs: position by position, each
// weight scaled by 2^112 and broadcast once for all outputs (h2fScaled),
// the products added with one multiply-add (exact products) into the same
// accumulators in the same order, kept in memory.
func vecWeightedValuesFinite(o []float32, v []uint16, stride int, w []float32, batch bool) {
	var l [16][32]archsimd.Float32x8
	chunks := len(o) / 8
	classes := 32
	if batch {
		classes = 8
	}
	for j, wj := range w {
		b := archsimd.BroadcastFloat32x8(wj * 0x1p112) // wj is a binary16 value
		row := v[j*stride : j*stride+len(o)]
		cl := j % classes
		for c := range chunks {
			l[c][cl] = h2fScaled(row[8*c:]).MulAdd(b, l[c][cl])
		}
	}
	for c := range chunks {
		reduceClasses(&l[c], batch).Store((*[8]float32)(o[8*c:]))
	}
}

// reduceClasses adds the accumulators of eight outputs' position classes
// l as f16Dot reduces its lanes: with batch the eight classes by hsum8's
// order, else the 32 as f16DotReduce does.
func reduceClasses(l *[32]archsimd.Float32x8, batch bool) archsimd.Float32x8 {
	if batch {
		return l[0].Add(l[4]).Add(l[2].Add(l[6])).Add(l[1].Add(l[5]).Add(l[3].Add(l[7])))
	}
	var x [8]archsimd.Float32x8
	for k := range x {
		x[k] = l[k].Add(l[16+k]).Add(l[8+k].Add(l[24+k]))
	}
	return x[0].Add(x[4]).Add(x[1].Add(x[5])).Add(x[2].Add(x[6]).Add(x[3].Add(x[7])))
}

// vecExpf is expf on eight lanes, each step the same float32 operation
// (VFMADD rounds once, as fma32 does), for lanes whose n = round(x·log2 e)
// lies within ±126; ok is false when a lane does not (the results near or
// past the float32 range), and the caller takes the scalar expf.
func vecExpf(x archsimd.Float32x8) (r archsimd.Float32x8, ok bool) {
	bc := archsimd.BroadcastFloat32x8
	const shift = 0x1.8p23
	z := x.MulAdd(bc(0x1.715476p+0), bc(shift))
	n := z.Sub(bc(shift))
	var ns [8]float32
	n.Store(&ns)
	for _, v := range ns {
		if v > 126 || v < -126 {
			return r, false
		}
	}
	nn := n.AsUint32x8().Xor(archsimd.BroadcastUint32x8(0x80000000)).AsFloat32x8()
	b := nn.MulAdd(bc(0x1.7f7d1cp-20), nn.MulAdd(bc(0x1.62e4p-1), x))
	k := z.AsUint32x8().ShiftAllLeft(23).Add(archsimd.BroadcastUint32x8(0x3f800000)).AsFloat32x8()
	u := b.Mul(b)
	// j = fma(fma(fma(c5, b, c4), u, fma(c3, b, c2)), u, c1·b)
	p := bc(0x1.0e4020p-7).MulAdd(b, bc(0x1.573e2ep-5))
	q := bc(0x1.555e66p-3).MulAdd(b, bc(0x1.fffdb6p-2))
	j := p.MulAdd(u, q).MulAdd(u, bc(0x1.ffffecp-1).Mul(b))
	return j.MulAdd(k, k), true
}

// vecSiluRuns is siluRunsGo eight values at a time: x/(1+expf(-x)) with
// the same roundings; a run with a lane past vecExpf's range, and a tail,
// go through silu.
func vecSiluRuns(x []float32) {
	sign := archsimd.BroadcastUint32x8(0x80000000)
	one := archsimd.BroadcastFloat32x8(1)
	i := 0
	for ; i+8 <= len(x); i += 8 {
		v := archsimd.LoadFloat32x8((*[8]float32)(x[i:]))
		e, ok := vecExpf(v.AsUint32x8().Xor(sign).AsFloat32x8())
		if !ok {
			siluRunsGo(x[i : i+8])
			continue
		}
		v.Div(one.Add(e)).Store((*[8]float32)(x[i:]))
	}
	siluRunsGo(x[i:])
}

// vecExpShifted is expShiftedGo eight values at a time.
func vecExpShifted(x []float32, top float32) {
	t := archsimd.BroadcastFloat32x8(top)
	i := 0
	for ; i+8 <= len(x); i += 8 {
		e, ok := vecExpf(archsimd.LoadFloat32x8((*[8]float32)(x[i:])).Sub(t))
		if !ok {
			expShiftedGo(x[i:i+8], top)
			continue
		}
		e.Store((*[8]float32)(x[i:]))
	}
	expShiftedGo(x[i:], top)
}
