package kernels

// Tile is a micro-kernel's tile size: the height of a packed panel of A
// and the width of a packed panel of B. The code generator packs weights
// for the tile of the micro-kernel it writes into the package.
type Tile struct{ Rows, Cols int }

// Tiles of the two micro-kernels: microkernel_generic.go and
// microkernel_simd.go (a test checks them against gemmMR and gemmNR).
var (
	GenericTile = Tile{2, 4}
	SIMDTile    = Tile{4, 16}
)

// PackedLenA is the length of an m×k matrix A packed by PackA: its rows
// padded with zeros to a multiple of t.Rows.
func (t Tile) PackedLenA(m, k int) int { return (m + t.Rows - 1) / t.Rows * t.Rows * k }

// PackedLenB is the length of a k×n matrix B packed by PackB: its columns
// padded with zeros to a multiple of t.Cols.
func (t Tile) PackedLenB(k, n int) int { return (n + t.Cols - 1) / t.Cols * t.Cols * k }

// PackA lays out the m×k matrix A (element [i][p] at a[i*rs+p*cs]) the
// way gemm reads a packed A: panels of t.Rows rows, each stored step by
// step of p, the last panel padded with zero rows. The code generator
// calls it at compile time on constant weights.
func (t Tile) PackA(m, k int, a []float32, rs, cs int) []float32 {
	out := make([]float32, t.PackedLenA(m, k))
	o := 0
	for i0 := 0; i0 < m; i0 += t.Rows {
		for p := 0; p < k; p++ {
			for i := i0; i < i0+t.Rows; i++ {
				if i < m {
					out[o] = a[i*rs+p*cs]
				}
				o++
			}
		}
	}
	return out
}

// PackB lays out the k×n matrix B (element [p][j] at b[p*rs+j*cs]) the
// way gemm reads a packed B: panels of t.Cols columns, each stored step
// by step of p, the last panel padded with zero columns.
func (t Tile) PackB(k, n int, b []float32, rs, cs int) []float32 {
	out := make([]float32, t.PackedLenB(k, n))
	o := 0
	for j0 := 0; j0 < n; j0 += t.Cols {
		for p := 0; p < k; p++ {
			for j := j0; j < j0+t.Cols; j++ {
				if j < n {
					out[o] = b[p*rs+j*cs]
				}
				o++
			}
		}
	}
	return out
}
