package llmrt

import (
	"encoding/binary"
	"math"
)

// The block kernels make four products of small integers with one 64-bit
// multiply. A weight word holds four codes w0..w3 in 16-bit lanes (bits
// 16i..16i+15), as masking bytes of a block yields them, and an
// activation word holds four activation codes in the reverse lane order.
// The product's lane 3 (bits 48..63) then collects the terms whose lanes
// add up to 3: w0·a3 + w1·a2 + w2·a1 + w3·a0, a four-term dot product.
// The lower lanes hold other sums that are never read, the terms above
// bit 63 fall off (they are multiples of 2^64), and lanes may be negative
// (two's complement borrows are part of the integer a word stands for).
// Products of one dot product are added as 64-bit words and lane 3 is
// taken out (lane3) while its sum, and the three-term sum in lane 2 below
// it, stay inside ±2^15: each kernel says how many products its codes'
// ranges allow between two extractions.
//
// The activation codes of a row are packed once per linear layer
// (lanes.pack) and shared by every weight row, in the grouping of ggml's
// AVX2 kernels, whose eight float32 lanes each take the integer sums of
// codes 4k..4k+3 of every 32 (order.go). A weight word holds the codes
// of columns 8g, 8g+2, 8g+4, 8g+6 (even) or 8g+1, ..., 8g+7 (odd) in
// lanes 0 to 3, as masking bytes of a block yields them; the activation
// words of those 8 columns are four, each with two codes and two zero
// lanes: evenLo = (0, 0, c2, c0), evenHi = (c6, c4, 0, 0), oddLo = (0, 0,
// c3, c1), oddHi = (c7, c5, 0, 0) in lanes 0 to 3. Then lane 3 of
// even·evenLo + odd·oddLo is the four-term sum of columns 8g..8g+3 and
// that of even·evenHi + odd·oddHi the sum of 8g+4..8g+7, while lane 2
// holds at most two terms.

// Where four-column sums of codes below 2^15/(4·127) in magnitude are
// wanted, a weight word can also hold the codes of four consecutive
// columns 4i..4i+3 in the lane order (c0, c2, c1, c3), which the even
// and odd words of 8 columns (or bytes masked the same way) give with a
// shift and a mask each: even's low half with odd's low half above it,
// and even's high half with odd's high half. Its activation word (a quad
// word, one per 4 codes, after the row's evenLo..oddHi words) is (a3,
// a1, a2, a0), and lane 3 of one product is the four-column sum. Only
// Q8_K activations carry quad words (Q4_K multiplies them).

// lanes holds a batch of n activation rows for a kernel, made from their
// quantized blocks by pack: four words per 8 codes (evenLo, evenHi,
// oddLo, oddHi), for Q8_K followed by one quad word per 4 codes (w, wRow
// words per row), the sum of every 4 codes followed by the sum of every 32 (sums,
// sRow per row) and each block's scale as float32 (d, dRow per row).
type lanes struct {
	n    int
	w    []uint64
	wRow int
	sums []int32
	sRow int
	d    []float32
	dRow int
}

// reset sizes a for n rows of cols activations in format act, growing
// its buffers when they are too small.
func (a *lanes) reset(act, n, cols int) {
	bl := actBlockLen[act]
	a.n, a.wRow, a.sRow, a.dRow = n, cols/2, cols/4+cols/32, cols/bl
	if act == actQ8_K {
		a.wRow += cols / 4 // the quad words
	}
	if len(a.w) < n*a.wRow {
		a.w = make([]uint64, n*a.wRow)
	}
	if len(a.sums) < n*a.sRow {
		a.sums = make([]int32, n*a.sRow)
	}
	if len(a.d) < n*a.dRow {
		a.d = make([]float32, n*a.dRow)
	}
}

// pack packs activation row t of a from its quantized blocks q (format
// act, cols codes): four words per 8 codes as the package comment above
// lays them out, the sum of each four codes, each block's scale.
func (a *lanes) pack(t, act int, q []byte, cols int) {
	blockLen, blockBytes, off := actBlockLen[act], actBlockBytes[act], actCodesOff[act]
	nb := cols / blockLen
	w, sums, d := a.w[t*a.wRow:(t+1)*a.wRow], a.sums[t*a.sRow:(t+1)*a.sRow], a.d[t*a.dRow:(t+1)*a.dRow]
	for b := 0; b < nb; b++ {
		blk := q[b*blockBytes : (b+1)*blockBytes]
		if act == actQ8_K {
			d[b] = math.Float32frombits(binary.LittleEndian.Uint32(blk))
		} else {
			d[b] = f16(blk, 0)
		}
		c := blk[off : off+blockLen]
		dst, sd := w[b*blockLen/2:(b+1)*blockLen/2], sums[b*blockLen/4:(b+1)*blockLen/4]
		var qd []uint64
		if act == actQ8_K {
			qd = w[cols/2+b*blockLen/4 : cols/2+(b+1)*blockLen/4]
		}
		s32 := sums[cols/4+b*blockLen/32 : cols/4+(b+1)*blockLen/32]
		for g := 0; g < blockLen/8; g++ {
			var e [8]int64
			for i := range e {
				e[i] = int64(int8(c[8*g+i]))
			}
			dst[4*g] = uint64(e[0]<<48 + e[2]<<32)
			dst[4*g+1] = uint64(e[6] + e[4]<<16)
			dst[4*g+2] = uint64(e[1]<<48 + e[3]<<32)
			dst[4*g+3] = uint64(e[7] + e[5]<<16)
			if qd != nil {
				qd[2*g] = uint64(e[3] + e[1]<<16 + e[2]<<32 + e[0]<<48)
				qd[2*g+1] = uint64(e[7] + e[5]<<16 + e[6]<<32 + e[4]<<48)
			}
			sd[2*g] = int32(e[0] + e[1] + e[2] + e[3])
			sd[2*g+1] = int32(e[4] + e[5] + e[6] + e[7])
			if g%4 == 0 {
				s32[g/4] = 0
			}
			s32[g/4] += sd[2*g] + sd[2*g+1]
		}
	}
}

// quadWords returns the words of columns 0..3 and 4..7 of 8 columns in
// the lane order (c0, c2, c1, c3) from their even and odd weight words.
func quadWords(even, odd uint64) (lo, hi uint64) {
	return even&0xffffffff | odd<<32, even>>32 | odd&^0xffffffff
}

// quads returns the two four-column sums of 8 columns from their even and
// odd weight words and the columns' four activation words y.
func quads(even, odd uint64, y *[4]uint64) (lo, hi int32) {
	return lane3(even*y[0] + odd*y[2]), lane3(even*y[1] + odd*y[3])
}

// lane3 returns the signed sum in lane 3 of acc, a sum of lane products
// whose lane-3 sum and lane-2 sum both lie inside ±(2^15-1): adding
// 2^47 makes the lower lanes' part non-negative and below 2^48, so the
// arithmetic shift leaves lane 3 exactly.
func lane3(acc uint64) int32 { return int32(int64(acc+1<<47) >> 48) }

// le64 reads 8 bytes of a block, little-endian.
func le64(b []byte) uint64 { return binary.LittleEndian.Uint64(b) }

// le32 reads 4 bytes of a block, little-endian.
func le32(b []byte) uint32 { return binary.LittleEndian.Uint32(b) }

// rowsLanes writes out[t·ldo+r] = W[r]·a[t] for the rows r0 <= r < r1 of
// w and every activation row of a, with w's dotLanes, or for several
// activation rows its prefill, over tiles of activation rows whose lane
// words stay in the L1 cache while every row of the range passes.
func rowsLanes(w *weight, r0, r1 int, a *lanes, out []float32, ldo int) {
	k := w.k
	if a.n > 1 && k.prefill != nil {
		tile := max(1, prefillBytes/(8*a.wRow))
		for t0 := 0; t0 < a.n; t0 += tile {
			t1 := min(t0+tile, a.n)
			for r := r0; r < r1; r++ {
				k.prefill(w.data[r*w.rowBytes:(r+1)*w.rowBytes], a, t0, t1, out[r:], ldo)
			}
		}
		return
	}
	nb := w.cols / k.blockLen
	for r := r0; r < r1; r++ {
		row := w.data[r*w.rowBytes : (r+1)*w.rowBytes]
		for t := 0; t < a.n; t++ {
			out[t*ldo+r] = k.dotLanes(row, a.d[t*a.dRow:(t+1)*a.dRow], a.w[t*a.wRow:(t+1)*a.wRow], a.sums[t*a.sRow:(t+1)*a.sRow], nb)
		}
	}
}

// prefillBytes bounds the lane words of one tile of activation rows (the
// L1 data cache's size: larger tiles unpack each weight block fewer times).
const prefillBytes = 32 << 10
