package kernels

// Panel sizes of the packed layout, exported for the code generator: they
// must equal gemmMR and gemmNR (a test checks).
const (
	// PanelRows is the height of a packed panel of A.
	PanelRows = 2
	// PanelCols is the width of a packed panel of B.
	PanelCols = 4
)

// PackedLenA is the length of an m×k matrix A packed by PackA: its rows
// padded with zeros to a multiple of PanelRows.
func PackedLenA(m, k int) int { return (m + PanelRows - 1) / PanelRows * PanelRows * k }

// PackedLenB is the length of a k×n matrix B packed by PackB: its columns
// padded with zeros to a multiple of PanelCols.
func PackedLenB(k, n int) int { return (n + PanelCols - 1) / PanelCols * PanelCols * k }

// PackA lays out the m×k matrix A (element [i][p] at a[i*rs+p*cs]) the
// way gemm reads a packed A: panels of PanelRows rows, each stored step by
// step of p, the last panel padded with zero rows. The code generator
// calls it at compile time on constant weights.
func PackA(m, k int, a []float32, rs, cs int) []float32 {
	out := make([]float32, PackedLenA(m, k))
	o := 0
	for i0 := 0; i0 < m; i0 += PanelRows {
		for p := 0; p < k; p++ {
			for i := i0; i < i0+PanelRows; i++ {
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
// way gemm reads a packed B: panels of PanelCols columns, each stored step
// by step of p, the last panel padded with zero columns.
func PackB(k, n int, b []float32, rs, cs int) []float32 {
	out := make([]float32, PackedLenB(k, n))
	o := 0
	for j0 := 0; j0 < n; j0 += PanelCols {
		for p := 0; p < k; p++ {
			for j := j0; j < j0+PanelCols; j++ {
				if j < n {
					out[o] = b[p*rs+j*cs]
				}
				o++
			}
		}
	}
	return out
}
