package interp

import (
	"fmt"
	"math"

	"github.com/kiln-ml/kiln/ir"
)

func init() {
	Register("Gemm", kernelGemm)
	Register("MatMul", kernelMatMul)
	Register("MatMulInteger", kernelMatMulInteger)
	Register("QLinearMatMul", kernelQLinearMatMul)
	Register("Det", kernelDet)
}

// nnMatMulPlan is numpy matmul's shape bookkeeping: 1-D operands promoted
// to matrices, leading dims broadcast, and the flat offset of each batch's
// A and B matrices.
type nnMatMulPlan struct {
	m, k, n    int
	aOff, bOff []int // per output batch: start of its A and B matrix
	shape      []int // result shape (promoted unit dims dropped)
}

func nnPlanMatMul(as, bs []int) (*nnMatMulPlan, error) {
	if len(as) == 0 || len(bs) == 0 {
		return nil, fmt.Errorf("operands %v and %v: scalars are not allowed", as, bs)
	}
	a1, b1 := len(as) == 1, len(bs) == 1
	if a1 {
		as = []int{1, as[0]}
	}
	if b1 {
		bs = []int{bs[0], 1}
	}
	p := &nnMatMulPlan{m: as[len(as)-2], k: as[len(as)-1], n: bs[len(bs)-1]}
	if bs[len(bs)-2] != p.k {
		return nil, fmt.Errorf("inner dims of %v and %v differ", as, bs)
	}
	ab, bb := as[:len(as)-2], bs[:len(bs)-2]
	batch, err := BroadcastShape(ab, bb)
	if err != nil {
		return nil, err
	}
	ia, ib := BroadcastIndex(ab, batch), BroadcastIndex(bb, batch)
	for i := range ia {
		p.aOff = append(p.aOff, ia[i]*p.m*p.k)
		p.bOff = append(p.bOff, ib[i]*p.k*p.n)
	}
	p.shape = append([]int{}, batch...)
	if !a1 {
		p.shape = append(p.shape, p.m)
	}
	if !b1 {
		p.shape = append(p.shape, p.n)
	}
	return p, nil
}

// nnMatMulRun multiplies per the plan, walking B's rows so the innermost
// loop is contiguous.
func nnMatMulRun[T float64 | int64](p *nnMatMulPlan, a, b []T) []T {
	y := scratch[T](len(p.aOff) * p.m * p.n)
	for bi := range p.aOff {
		am, bm := a[p.aOff[bi]:], b[p.bOff[bi]:]
		ym := y[bi*p.m*p.n:]
		for i := 0; i < p.m; i++ {
			row := ym[i*p.n : (i+1)*p.n]
			for kk := 0; kk < p.k; kk++ {
				av := am[i*p.k+kk]
				brow := bm[kk*p.n : (kk+1)*p.n]
				for j := range row {
					row[j] += av * brow[j]
				}
			}
		}
	}
	return y
}

func kernelMatMul(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 2, 2)
	if err != nil {
		return nil, err
	}
	a, b := ts[0], ts[1]
	if a.DType != b.DType {
		return nil, fmt.Errorf("A is %v but B is %v", a.DType, b.DType)
	}
	p, err := nnPlanMatMul(a.Shape, b.Shape)
	if err != nil {
		return nil, err
	}
	switch a.DType {
	case ir.I32, ir.I64, ir.U32, ir.U64:
		ai, _ := elemsAsInt64(a)
		bi, _ := elemsAsInt64(b)
		// Narrowing wraps as Go's conversion does: ONNX leaves integer
		// matmul overflow unspecified.
		return []Value{castNumeric(FromSlice(p.shape, nnMatMulRun(p, ai, bi)), a.DType)}, nil
	}
	if err := nnFloatDType(a.DType); err != nil {
		return nil, err
	}
	af, _ := numericAsF64(a)
	bf, _ := numericAsF64(b)
	return []Value{nnFromFloats(a.DType, p.shape, nnMatMulRun(p, af, bf))}, nil
}

// nnZeroPointAlong returns a zero point (or scale) operand as one value per
// index along an axis of length n: a scalar repeats, a 1-D tensor of n
// values is taken as is.
func nnZeroPointAlong(t *Tensor, n int, what string) ([]float64, error) {
	out := scratch[float64](n)
	if t == nil {
		return out, nil
	}
	v, err := numericAsF64(t)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	switch {
	case len(v) == 1:
		for i := range out {
			out[i] = v[0]
		}
	case len(v) == n:
		copy(out, v)
	default:
		return nil, fmt.Errorf("%s has shape %v; want a scalar or %d values", what, t.Shape, n)
	}
	return out, nil
}

// nnQuantMatMul computes the exact integer product of (a - azp) and
// (b - bzp), with azp per row of A and bzp per column of B.
func nnQuantMatMul(a, b, azT, bzT *Tensor) (*nnMatMulPlan, []int64, error) {
	if !nnIs8Bit(a.DType) || !nnIs8Bit(b.DType) {
		return nil, nil, fmt.Errorf("A is %v and B is %v; want int8 or uint8", a.DType, b.DType)
	}
	p, err := nnPlanMatMul(a.Shape, b.Shape)
	if err != nil {
		return nil, nil, err
	}
	az, err := nnZeroPointAlong(azT, p.m, "a_zero_point")
	if err != nil {
		return nil, nil, err
	}
	bz, err := nnZeroPointAlong(bzT, p.n, "b_zero_point")
	if err != nil {
		return nil, nil, err
	}
	ai, _ := elemsAsInt64(a)
	bi, _ := elemsAsInt64(b)
	for i := range ai {
		ai[i] -= int64(az[(i/p.k)%p.m])
	}
	for i := range bi {
		bi[i] -= int64(bz[i%p.n])
	}
	return p, nnMatMulRun(p, ai, bi), nil
}

func kernelMatMulInteger(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 2, 4)
	if err != nil {
		return nil, err
	}
	p, y, err := nnQuantMatMul(ts[0], ts[1], ts[2], ts[3])
	if err != nil {
		return nil, err
	}
	return []Value{castNumeric(FromSlice(p.shape, y), ir.I32)}, nil
}

func kernelQLinearMatMul(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 8, 8)
	if err != nil {
		return nil, err
	}
	a, b, yzT := ts[0], ts[3], ts[7]
	if !nnIs8Bit(yzT.DType) {
		return nil, fmt.Errorf("y_zero_point is %v; want int8 or uint8", yzT.DType)
	}
	p, acc, err := nnQuantMatMul(a, b, ts[2], ts[5])
	if err != nil {
		return nil, err
	}
	as, err := nnScale(ts[1], 1, false, "a_scale")
	if err != nil {
		return nil, err
	}
	bs, err := nnScale(ts[4], p.n, true, "b_scale")
	if err != nil {
		return nil, err
	}
	ys, err := nnScale(ts[6], 1, false, "y_scale")
	if err != nil {
		return nil, err
	}
	yz, err := nnZeroPoint(yzT, 1, false, "y_zero_point")
	if err != nil {
		return nil, err
	}
	af := scratch[float64](len(acc))
	for i, v := range acc {
		af[i] = float64(v)
	}
	// b_scale per column: channel index i%n, i.e. "inner" 1 with n channels.
	var y []float64
	if len(bs) == 1 {
		y = nnRequantize(af, 1, as[0], bs, ys[0], yz[0])
	} else {
		y = af
		for i := range y {
			mult := float32(as[0]) * float32(bs[i%p.n]) / float32(ys[0])
			y[i] = float64(float32(y[i])*mult) + yz[0]
		}
	}
	return []Value{nnFromFloats(yzT.DType, p.shape, y)}, nil
}

func kernelGemm(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 2, 3)
	if err != nil {
		return nil, err
	}
	a, b := ts[0], ts[1]
	if a.DType != b.DType {
		return nil, fmt.Errorf("A is %v but B is %v", a.DType, b.DType)
	}
	if a.Rank() != 2 || b.Rank() != 2 {
		return nil, fmt.Errorf("A %v and B %v: want matrices", a.Shape, b.Shape)
	}
	ta, tb := op.Int("transA") != 0, op.Int("transB") != 0
	m, k := a.Shape[0], a.Shape[1]
	if ta {
		m, k = k, m
	}
	k2, n := b.Shape[0], b.Shape[1]
	if tb {
		k2, n = n, k2
	}
	if k != k2 {
		return nil, fmt.Errorf("inner dims differ: A %v, B %v (transA %v, transB %v)", a.Shape, b.Shape, ta, tb)
	}
	af, err := numericAsF64(a)
	if err != nil {
		return nil, err
	}
	bf, _ := numericAsF64(b)
	alpha, beta := float64(op.Float("alpha")), float64(op.Float("beta"))
	y := scratchOf[float64](m, n)
	for i := 0; i < m; i++ {
		for kk := 0; kk < k; kk++ {
			av := af[i*k+kk]
			if ta {
				av = af[kk*m+i]
			}
			for j := 0; j < n; j++ {
				bv := bf[kk*n+j]
				if tb {
					bv = bf[j*k+kk]
				}
				y[i*n+j] += av * bv
			}
		}
	}
	for i := range y {
		y[i] *= alpha
	}
	if ct := ts[2]; ct != nil {
		if _, err := BroadcastShape(ct.Shape, []int{m, n}); err != nil || ct.Rank() > 2 || NumElements(ct.Shape) > m*n {
			return nil, fmt.Errorf("C %v does not broadcast to [%d %d]", ct.Shape, m, n)
		}
		cf, err := numericAsF64(ct)
		if err != nil {
			return nil, err
		}
		for i, ci := range BroadcastIndex(ct.Shape, []int{m, n}) {
			y[i] += beta * cf[ci]
		}
	}
	return []Value{nnFromFloats(a.DType, []int{m, n}, y)}, nil
}

func kernelDet(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := floatTensorOperands(args, 1, 1)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	r := x.Rank()
	if r < 2 || x.Shape[r-1] != x.Shape[r-2] {
		return nil, fmt.Errorf("input %v: want square matrices in the last two dims", x.Shape)
	}
	n := x.Shape[r-1]
	xf, _ := numericAsF64(x)
	out := scratch[float64](len(xf) / max(1, n*n))
	if n == 0 {
		out = scratch[float64](NumElements(x.Shape[:r-2]))
		for i := range out {
			out[i] = 1
		}
	}
	for bi := range out {
		if n == 0 {
			break
		}
		a := append([]float64{}, xf[bi*n*n:(bi+1)*n*n]...)
		det := 1.0
		// Gaussian elimination with partial pivoting.
		for col := 0; col < n; col++ {
			piv := col
			for i := col + 1; i < n; i++ {
				if math.Abs(a[i*n+col]) > math.Abs(a[piv*n+col]) {
					piv = i
				}
			}
			if a[piv*n+col] == 0 {
				det = 0
				break
			}
			if piv != col {
				for j := 0; j < n; j++ {
					a[col*n+j], a[piv*n+j] = a[piv*n+j], a[col*n+j]
				}
				det = -det
			}
			det *= a[col*n+col]
			for i := col + 1; i < n; i++ {
				f := a[i*n+col] / a[col*n+col]
				for j := col; j < n; j++ {
					a[i*n+j] -= f * a[col*n+j]
				}
			}
		}
		out[bi] = det
	}
	return []Value{nnFromFloats(x.DType, x.Shape[:r-2], out)}, nil
}
