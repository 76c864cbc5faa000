package interp

import (
	"fmt"
	"math"

	"github.com/kiln-ml/kiln/ir"
)

func init() {
	Register("AveragePool", kernelPool)
	Register("MaxPool", kernelPool)
	Register("LpPool", kernelPool)
	Register("GlobalAveragePool", kernelGlobalPool)
	Register("GlobalMaxPool", kernelGlobalPool)
	Register("GlobalLpPool", kernelGlobalPool)
	Register("MaxUnpool", kernelMaxUnpool)
	Register("MaxRoiPool", kernelMaxRoiPool)
}

// maxWindowSteps bounds the kernel positions inside the input that one
// pooling op visits (about a minute of work); real models stay orders of
// magnitude below it.
const maxWindowSteps = 1 << 36

// kernelPool runs AveragePool, MaxPool and LpPool: one window walk, three
// ways of folding the window.
func kernelPool(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 1, 1)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	if op.Name == "MaxPool" {
		switch x.DType {
		case ir.I8, ir.U8:
		default:
			if err := nnFloatDType(x.DType); err != nil {
				return nil, err
			}
		}
	} else if err := nnFloatDType(x.DType); err != nil {
		return nil, err
	}
	if x.Rank() < 3 {
		return nil, fmt.Errorf("input has rank %d, want at least 3", x.Rank())
	}
	g, sp, err := nnWindowGeom(op, x.Shape[2:], op.Ints("kernel_shape"), op.Declares("ceil_mode") && op.Int("ceil_mode") != 0)
	if err != nil {
		return nil, err
	}
	// The padded extent per axis, for count_include_pad: the explicit pads
	// count, positions beyond them (reached through ceil_mode) do not.
	var padEnd [3]int
	ws, _ := ir.Windows(len(sp), op.Ints("kernel_shape"), op.Ints("strides"), ir.WindowDilations(op), op.Ints("pads"))
	for i, w := range ws {
		_, r, _ := w.Resolve(int64(x.Shape[2+i]), op.Str("auto_pad"), false)
		padEnd[3-len(sp)+i] = int(r.PadEnd)
	}
	// One kernel serves AveragePool, MaxPool and LpPool; each reads only
	// the attributes its op declares.
	includePad := op.Declares("count_include_pad") && op.Int("count_include_pad") != 0
	p := 0.0
	if op.Declares("p") {
		p = float64(op.Int("p"))
	}
	colMajor := op.Declares("storage_order") && op.Int("storage_order") != 0
	xf, _ := numericAsF64(x)
	planes := x.Shape[0] * x.Shape[1]
	isz, osz := g.inSize(), g.outSize()
	// The walk visits, per window and axis, only the kernel positions
	// inside the input (a range computed from the window's start), and
	// counts those inside the padded extent arithmetically: a kernel of
	// 10^9 with pads to match costs what its few inside positions cost.
	// The bound is on that real work.
	steps, ok := int64(planes), true
	for _, f := range []int{osz, min(g.k[0], g.in[0]), min(g.k[1], g.in[1]), min(g.k[2], g.in[2])} {
		if ok {
			steps, ok = ir.CheckedMul(steps, int64(f))
		}
	}
	if !ok || steps > maxWindowSteps {
		return nil, fmt.Errorf("%d windows of kernel %v take more than %d steps", planes*osz, g.k, maxWindowSteps)
	}
	y := scratchOf[float64](planes, osz)
	var idx []int64
	if op.Name == "MaxPool" && len(op.Results) > 1 {
		idx = scratchOf[int64](planes, osz)
	}
	// kRange returns the kernel positions k in [lo, hi) of axis a, for the
	// window starting at output o, whose input coordinate lies in
	// [from, to), and how many there are.
	kRange := func(a, o, from, to int) (lo, hi int) {
		base := o*g.s[a] - g.p[a]
		lo = max(0, ceilDiv(from-base, g.d[a]))
		hi = min(g.k[a], floorDiv(to-1-base, g.d[a])+1)
		return lo, max(lo, hi)
	}
	for pl := 0; pl < planes; pl++ {
		xin := xf[pl*isz : (pl+1)*isz]
		oi := pl * osz
		for o0 := 0; o0 < g.out[0]; o0++ {
			lo0, hi0 := kRange(0, o0, 0, g.in[0])
			plo0, phi0 := kRange(0, o0, -g.p[0], g.in[0]+padEnd[0])
			for o1 := 0; o1 < g.out[1]; o1++ {
				lo1, hi1 := kRange(1, o1, 0, g.in[1])
				plo1, phi1 := kRange(1, o1, -g.p[1], g.in[1]+padEnd[1])
				for o2 := 0; o2 < g.out[2]; o2++ {
					lo2, hi2 := kRange(2, o2, 0, g.in[2])
					plo2, phi2 := kRange(2, o2, -g.p[2], g.in[2]+padEnd[2])
					padded := (phi0 - plo0) * (phi1 - plo1) * (phi2 - plo2)
					sum, best, bestAt, count := 0.0, math.Inf(-1), -1, 0
					for k0 := lo0; k0 < hi0; k0++ {
						i0 := o0*g.s[0] + k0*g.d[0] - g.p[0]
						for k1 := lo1; k1 < hi1; k1++ {
							i1 := o1*g.s[1] + k1*g.d[1] - g.p[1]
							for k2 := lo2; k2 < hi2; k2++ {
								i2 := o2*g.s[2] + k2*g.d[2] - g.p[2]
								flat := (i0*g.in[1]+i1)*g.in[2] + i2
								v := xin[flat]
								count++
								switch op.Name {
								case "MaxPool":
									if v > best || bestAt < 0 {
										best, bestAt = v, flat
										if colMajor {
											bestAt = i0 + g.in[0]*(i1+g.in[1]*i2)
										}
									}
								case "AveragePool":
									sum += v
								case "LpPool":
									sum += math.Pow(math.Abs(v), p)
								}
							}
						}
					}
					switch op.Name {
					case "MaxPool":
						y[oi] = best
						if idx != nil {
							idx[oi] = int64(pl*isz + bestAt)
						}
					case "AveragePool":
						div := count
						if includePad {
							div = padded
						}
						y[oi] = sum / float64(div)
					case "LpPool":
						y[oi] = math.Pow(sum, 1/p)
					}
					oi++
				}
			}
		}
	}
	shape := append([]int{x.Shape[0], x.Shape[1]}, sp...)
	out := []Value{nnFromFloats(x.DType, shape, y)}
	if idx != nil {
		out = append(out, FromSlice(shape, idx))
	}
	return out, nil
}

func kernelGlobalPool(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := floatTensorOperands(args, 1, 1)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	if x.Rank() < 2 {
		return nil, fmt.Errorf("input has rank %d, want at least 2", x.Rank())
	}
	xf, _ := numericAsF64(x)
	planes := x.Shape[0] * x.Shape[1]
	inner := NumElements(x.Shape[2:])
	p := 0.0 // GlobalAveragePool and GlobalMaxPool have no p
	if op.Declares("p") {
		p = float64(op.Int("p"))
	}
	y := scratch[float64](planes)
	for pl := range y {
		vs := xf[pl*inner : (pl+1)*inner]
		acc := 0.0
		switch op.Name {
		case "GlobalAveragePool":
			for _, v := range vs {
				acc += v
			}
			acc /= float64(inner)
		case "GlobalMaxPool":
			acc = math.Inf(-1)
			for _, v := range vs {
				acc = math.Max(acc, v)
			}
		case "GlobalLpPool":
			for _, v := range vs {
				acc += math.Pow(math.Abs(v), p)
			}
			acc = math.Pow(acc, 1/p)
		}
		y[pl] = acc
	}
	shape := append([]int{}, x.Shape...)
	for i := 2; i < len(shape); i++ {
		shape[i] = 1
	}
	return []Value{nnFromFloats(x.DType, shape, y)}, nil
}

func kernelMaxUnpool(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := floatTensorOperands(args, 2, 3)
	if err != nil {
		return nil, err
	}
	x, ind := ts[0], ts[1]
	same := ind.Rank() == x.Rank()
	for i := 0; same && i < x.Rank(); i++ {
		same = ind.Shape[i] == x.Shape[i]
	}
	if ind.DType != ir.I64 || !same {
		return nil, fmt.Errorf("I is %v%v; want int64 of X's shape %v", ind.DType, ind.Shape, x.Shape)
	}
	if x.Rank() < 3 {
		return nil, fmt.Errorf("input has rank %d, want at least 3", x.Rank())
	}
	in := scratch[int64](x.Rank() - 2)
	for i := range in {
		in[i] = int64(x.Shape[2+i])
	}
	sp, err := ir.MaxUnpoolShape(in, op.Ints("kernel_shape"), op.Ints("strides"), op.Ints("pads"))
	if err != nil {
		return nil, err
	}
	pooled := []int{x.Shape[0], x.Shape[1]}
	for _, n := range sp {
		pooled = append(pooled, int(n))
	}
	shape := pooled
	if os := ts[2]; os != nil {
		if os.DType != ir.I64 || os.Len() != x.Rank() {
			return nil, fmt.Errorf("output_shape is %v%v; want %d int64s", os.DType, os.Shape, x.Rank())
		}
		shape = nil
		for _, v := range Data[int64](os) {
			shape = append(shape, int(v))
		}
		for _, d := range shape {
			if d < 0 {
				return nil, fmt.Errorf("output_shape %v has a negative dim", shape)
			}
		}
		if shape[0] != x.Shape[0] || shape[1] != x.Shape[1] {
			return nil, fmt.Errorf("output_shape %v does not keep X's N and C %v", shape, x.Shape[:2])
		}
	}
	xf, _ := numericAsF64(x)
	y := scratch[float64](NumElements(shape))
	// Indices are flat positions in MaxPool's input, whose shape is the
	// default output shape. An explicit (larger) output_shape keeps each
	// element at the same spatial coordinates, as ONNX's MaxUnpool test
	// expects.
	inPlane, srcPlane := NumElements(x.Shape[2:]), NumElements(pooled[2:])
	srcSt, dstSt := Strides(pooled[2:]), Strides(shape[2:])
	outPlane := NumElements(shape[2:])
	for i, v := range xf {
		at := Data[int64](ind)[i]
		pl := i / inPlane
		off := int(at) - pl*srcPlane
		if at < 0 || off < 0 || off >= srcPlane {
			return nil, fmt.Errorf("index %d at %d is outside plane %d of the pooled input", at, i, pl)
		}
		dst := 0
		for a, st := range srcSt {
			coord := off / st
			off %= st
			if coord >= shape[2+a] {
				return nil, fmt.Errorf("index %d at %d is outside output_shape %v", at, i, shape)
			}
			dst += coord * dstSt[a]
		}
		y[pl*outPlane+dst] = v
	}
	return []Value{nnFromFloats(x.DType, shape, y)}, nil
}

func kernelMaxRoiPool(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := floatTensorOperands(args, 2, 2)
	if err != nil {
		return nil, err
	}
	x, rois := ts[0], ts[1]
	if x.Rank() != 4 || rois.Rank() != 2 || rois.Shape[1] != 5 {
		return nil, fmt.Errorf("X %v and rois %v: want [N,C,H,W] and [R,5]", x.Shape, rois.Shape)
	}
	ps := op.Ints("pooled_shape")
	if len(ps) != 2 || ps[0] < 1 || ps[1] < 1 {
		return nil, fmt.Errorf("pooled_shape %v: want two positive sizes", ps)
	}
	ph, pw := int(ps[0]), int(ps[1])
	scale := float64(op.Float("spatial_scale"))
	xf, _ := numericAsF64(x)
	rf, err := numericAsF64(rois)
	if err != nil {
		return nil, err
	}
	n, ch, h, w := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	nr := rois.Shape[0]
	y := scratchOf[float64](nr, ch, ph, pw)
	for r := 0; r < nr; r++ {
		b := int(rf[r*5])
		if b < 0 || b >= n {
			return nil, fmt.Errorf("roi %d: batch index %d out of range [0,%d)", r, b, n)
		}
		// Caffe's RoIPool, which ONNX follows: corners rounded to whole
		// pixels, each region at least 1x1, bins floor/ceil-aligned.
		x1, y1 := int(math.Round(rf[r*5+1]*scale)), int(math.Round(rf[r*5+2]*scale))
		x2, y2 := int(math.Round(rf[r*5+3]*scale)), int(math.Round(rf[r*5+4]*scale))
		rh, rw := max(y2-y1+1, 1), max(x2-x1+1, 1)
		bh, bw := float64(rh)/float64(ph), float64(rw)/float64(pw)
		for cc := 0; cc < ch; cc++ {
			plane := xf[(b*ch+cc)*h*w:]
			for i := 0; i < ph; i++ {
				hs := min(max(int(math.Floor(float64(i)*bh))+y1, 0), h)
				he := min(max(int(math.Ceil(float64(i+1)*bh))+y1, 0), h)
				for j := 0; j < pw; j++ {
					ws := min(max(int(math.Floor(float64(j)*bw))+x1, 0), w)
					we := min(max(int(math.Ceil(float64(j+1)*bw))+x1, 0), w)
					best := 0.0
					if he > hs && we > ws {
						best = math.Inf(-1)
						for yy := hs; yy < he; yy++ {
							for xx := ws; xx < we; xx++ {
								best = math.Max(best, plane[yy*w+xx])
							}
						}
					}
					y[((r*ch+cc)*ph+i)*pw+j] = best
				}
			}
		}
	}
	return []Value{nnFromFloats(x.DType, []int{nr, ch, ph, pw}, y)}, nil
}

// floorDiv and ceilDiv divide rounding toward minus and plus infinity;
// b > 0.
func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

func ceilDiv(a, b int) int { return -floorDiv(-a, b) }
