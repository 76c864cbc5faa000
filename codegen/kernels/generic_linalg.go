package kernels

import "math"

// Det and Einsum: the determinant by Gaussian elimination with partial
// pivoting, and Einsum evaluated literally over every assignment of its
// labels, both in float64 as the interpreter computes them.

// det writes the determinant of each of the len(y) n x n matrices of x
// into y; a 0 x 0 matrix has determinant 1.
func det[T ~float32 | ~float64](x, y []T, n int) {
	a := make([]float64, n*n)
	for bi := range y {
		for i := range a {
			a[i] = float64(x[bi*n*n+i])
		}
		d := 1.0
		for col := 0; col < n; col++ {
			piv := col
			for i := col + 1; i < n; i++ {
				if math.Abs(a[i*n+col]) > math.Abs(a[piv*n+col]) {
					piv = i
				}
			}
			if a[piv*n+col] == 0 {
				d = 0
				break
			}
			if piv != col {
				for j := 0; j < n; j++ {
					a[col*n+j], a[piv*n+j] = a[piv*n+j], a[col*n+j]
				}
				d = -d
			}
			d *= a[col*n+col]
			for i := col + 1; i < n; i++ {
				f := a[i*n+col] / a[col*n+col]
				for j := col; j < n; j++ {
					a[i*n+j] -= f * a[col*n+j]
				}
			}
		}
		y[bi] = T(d)
	}
}

// einsum sums, over every assignment of values to its labels (label l
// ranging over size[l]), the product of the operands' elements at those
// coordinates into the output element there. strides[i][l] is the stride
// label l contributes to operand i (0 when it does not index it or is
// broadcast; repeated labels add theirs, reading a diagonal), outStrides[l]
// the output's. It sums in float64.
func einsum[T ~int32 | ~int64 | ~float32 | ~float64](xs [][]T, strides [][]int, outStrides, size []int, y []T) {
	acc := make([]float64, len(y))
	total := 1
	for _, s := range size {
		total *= s
	}
	coord := make([]int, len(size))
	for it := 0; it < total; it++ {
		prod := 1.0
		for i, x := range xs {
			off := 0
			for l, c := range coord {
				off += c * strides[i][l]
			}
			prod *= float64(x[off])
		}
		o := 0
		for l, c := range coord {
			o += c * outStrides[l]
		}
		acc[o] += prod
		for l := len(coord) - 1; l >= 0; l-- {
			coord[l]++
			if coord[l] < size[l] {
				break
			}
			coord[l] = 0
		}
	}
	for i, v := range acc {
		y[i] = T(v)
	}
}
