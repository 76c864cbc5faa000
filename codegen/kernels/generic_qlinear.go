package kernels

import "math"

// The integer and quantized linear algebra of ONNX: MatMulInteger,
// ConvInteger, QLinearMatMul and QLinearConv. Products of 8-bit operands
// less their zero points are summed exactly in int64; the quantized ops
// then requantize as the interpreter does (and ONNX Runtime): the
// multiplier x_scale*w_scale/y_scale formed in float32, the accumulator
// rounded to float32 and multiplied by it, the zero point added, rounded
// half to even and saturated.

// quantAt returns element i of a zero point or scale given as one value
// (a scalar) or one per index; nil is a zero point of 0.
func quantAt[T ~int8 | ~uint8 | ~float32 | ~float64](v []T, i int) T {
	switch len(v) {
	case 0:
		return 0
	case 1:
		return v[0]
	}
	return v[i]
}

// batchOffsets returns, for each matrix of a batch of shape batch (row
// major), the index of the matrix it reads in an operand whose batch
// dims are dims (right-aligned with batch, numpy broadcasting).
func batchOffsets(dims, batch []int) []int {
	n := 1
	for _, d := range batch {
		n *= d
	}
	out := make([]int, n)
	lead := len(batch) - len(dims)
	for i := range out {
		rem, idx, stride := i, 0, 1
		for d := len(batch) - 1; d >= 0; d-- {
			c := rem % batch[d]
			rem /= batch[d]
			if d >= lead {
				if k := dims[d-lead]; k != 1 {
					idx += c * stride
				}
				stride *= dims[d-lead]
			}
		}
		out[i] = idx
	}
	return out
}

// matMulInt returns the exact product of (a - az) and (b - bz), az one
// value or one per row of A, bz one value or one per column of B (nil
// for none). as and bs are the operands' shapes promoted to at least two
// dims; batch is the broadcast batch shape of the result, whose matrices
// are m x n in row-major order.
func matMulInt[A, B ~int8 | ~uint8](a []A, b []B, az []A, bz []B, as, bs, batch []int) []int64 {
	m, k, n := as[len(as)-2], as[len(as)-1], bs[len(bs)-1]
	ia := batchOffsets(as[:len(as)-2], batch)
	ib := batchOffsets(bs[:len(bs)-2], batch)
	y := make([]int64, len(ia)*m*n)
	for bi := range ia {
		am, bm, ym := a[ia[bi]*m*k:], b[ib[bi]*k*n:], y[bi*m*n:]
		for i := 0; i < m; i++ {
			za := int64(quantAt(az, i))
			row := ym[i*n : (i+1)*n]
			for kk := 0; kk < k; kk++ {
				av := int64(am[i*k+kk]) - za
				brow := bm[kk*n : (kk+1)*n]
				for j := range row {
					row[j] += av * (int64(brow[j]) - int64(quantAt(bz, j)))
				}
			}
		}
	}
	return y
}

// saturateInt32 stores exact accumulators into int32, saturating as the
// interpreter's integer convolution does.
func saturateInt32(acc []int64, y []int32) {
	for i, v := range acc {
		y[i] = int32(min(max(v, math.MinInt32), math.MaxInt32))
	}
}

// requantize maps exact accumulators to an 8-bit type: element i belongs
// to channel (i/inner)%channels, whose scale is ws's (one value, or one
// per channel); xs and ys are the input and output scales, yz the output
// zero point.
func requantize[S ~float32 | ~float64, Y ~int8 | ~uint8](acc []int64, y []Y, inner int, xs, ws, ys []S, yz []Y) {
	lo, hi := 0.0, 255.0
	if Y(0)-1 < 0 {
		lo, hi = -128, 127
	}
	z := float64(quantAt(yz, 0))
	for i, a := range acc {
		s := quantAt(ws, (i/inner)%max(len(ws), 1))
		mult := float32(quantAt(xs, 0)) * float32(s) / float32(quantAt(ys, 0))
		v := math.RoundToEven(float64(float32(float64(a))*mult) + z)
		y[i] = Y(min(max(v, lo), hi))
	}
}
