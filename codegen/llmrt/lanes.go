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
// The activation codes of a row are packed once per linear layer, two
// words per 8 codes (lanes.pack), and shared by every weight row.

// lanes holds a batch of n activation rows for a kernel, made from their
// quantized blocks by packLanes: the codes in 16-bit lanes (w, wRow words
// per row; two words per 8 codes), the sum of every 32 codes (sums, sRow
// per row) and each block's scale as float32 (d, dRow per row).
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
	a.n, a.wRow, a.sRow, a.dRow = n, cols/4, cols/32, cols/bl
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

// packLanes packs activation row t of a from its quantized blocks q
// (format act, cols codes): the codes into a.w, two words per 8 codes
// c0..c7: word 2g holds c6, c4, c2, c0 in lanes 0 to 3 and word 2g+1
// holds c7, c5, c3, c1, so that a weight word with codes of columns 8g,
// 8g+2, 8g+4, 8g+6 (or of the odd columns) in lanes 0 to 3 multiplies
// its columns' activations; the sum of every 32 codes into a.sums; each
// block's scale into a.d.
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
		dst := w[b*blockLen/4 : (b+1)*blockLen/4]
		for g := 0; g+8 <= len(c); g += 8 {
			v := binary.LittleEndian.Uint64(c[g:])
			dst[g/4] = spreadEven(v)
			dst[g/4+1] = spreadEven(v >> 8)
		}
		for s := 0; s < blockLen/32; s++ {
			var sum int32
			for _, x := range c[32*s : 32*s+32] {
				sum += int32(int8(x))
			}
			sums[b*blockLen/32+s] = sum
		}
	}
}

// spreadEven makes an activation word of the signed bytes 0, 2, 4 and 6
// of v: byte 6 in lane 0 down to byte 0 in lane 3.
func spreadEven(v uint64) uint64 {
	e0, e2, e4, e6 := int64(int8(v)), int64(int8(v>>16)), int64(int8(v>>32)), int64(int8(v>>48))
	return uint64(e6 + e4<<16 + e2<<32 + e0<<48)
}

// lane3 returns the signed sum in lane 3 of acc, a sum of lane products
// whose lane-3 sum and lane-2 sum both lie inside ±(2^15-1): adding
// 2^47 makes the lower lanes' part non-negative and below 2^48, so the
// arithmetic shift leaves lane 3 exactly.
func lane3(acc uint64) int32 { return int32(int64(acc+1<<47) >> 48) }

// le64 reads 8 bytes of a block, little-endian.
func le64(b []byte) uint64 { return binary.LittleEndian.Uint64(b) }

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
