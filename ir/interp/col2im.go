package interp

import (
	"fmt"

	"github.com/kiln-ml/kiln/ir"
)

func init() {
	Register("Col2Im", kernelCol2Im)
}

// kernelCol2Im (Col2Im-18) adds each column entry of input [N, C*K, L] to
// the image position its block and kernel offset cover: K = prod(block)
// kernel offsets, L sliding blocks laid out over the padded image with
// strides and dilations, as im2col would have read them.
func kernelCol2Im(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 3, 3)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	img, err := tensorInt64s(ts[1], "image_shape")
	if err != nil {
		return nil, err
	}
	blk, err := tensorInt64s(ts[2], "block_shape")
	if err != nil {
		return nil, err
	}
	nd := len(img)
	if x.Rank() != 3 || len(blk) != nd || nd == 0 {
		return nil, fmt.Errorf("input %v, image_shape %v and block_shape %v: want [N, C*prod(block), L] and two equal-length shapes", x.Shape, img, blk)
	}
	attr := func(name string, n int, def int64) ([]int, error) {
		v := op.Ints(name)
		if v == nil {
			out := scratch[int](n)
			for i := range out {
				out[i] = int(def)
			}
			return out, nil
		}
		if len(v) != n {
			return nil, fmt.Errorf("%s has %d values, want %d", name, len(v), n)
		}
		return dimsFromInt64(v, name)
	}
	dil, err := attr("dilations", nd, 1)
	if err != nil {
		return nil, err
	}
	pads, err := attr("pads", 2*nd, 0)
	if err != nil {
		return nil, err
	}
	str, err := attr("strides", nd, 1)
	if err != nil {
		return nil, err
	}
	size, err := dimsFromInt64(img, "image_shape")
	if err != nil {
		return nil, err
	}
	b, err := dimsFromInt64(blk, "block_shape")
	if err != nil {
		return nil, err
	}
	outShape := append([]int{x.Shape[0], 1}, size...)
	if err := checkElemCount(outShape, "output shape"); err != nil {
		return nil, err
	}
	k := 1
	nblocks := scratch[int](nd)
	l := 1
	for d := range nd {
		if b[d] < 1 || dil[d] < 1 || str[d] < 1 {
			return nil, fmt.Errorf("block_shape, dilations and strides must be positive")
		}
		// Bounded so that the block arithmetic below cannot overflow; the
		// image size itself is bounded by the output check above.
		for _, v := range []int{b[d], dil[d], str[d], pads[d], pads[d+nd]} {
			if v > maxKernelElements {
				return nil, fmt.Errorf("block_shape, dilations, pads or strides value %d is too large", v)
			}
		}
		span := int64(dil[d])*int64(b[d]-1) + 1
		nb := (int64(size[d])+int64(pads[d])+int64(pads[d+nd])-span)/int64(str[d]) + 1
		if nb < 1 {
			return nil, fmt.Errorf("block %v (dilated) does not fit image %v with pads %v", b, size, pads)
		}
		nblocks[d] = int(nb)
		kk, ok1 := ir.CheckedMul(int64(k), int64(b[d]))
		ll, ok2 := ir.CheckedMul(int64(l), nb)
		if !ok1 || !ok2 || kk > int64(max(x.Shape[1], 1)) || ll > int64(max(x.Shape[2], 1)) {
			return nil, fmt.Errorf("input %v: dim 1 must be a multiple of prod(block_shape) %v and dim 2 the block count", x.Shape, b)
		}
		k, l = int(kk), int(ll)
	}
	n, ck, xl := x.Shape[0], x.Shape[1], x.Shape[2]
	if ck%k != 0 || xl != l {
		return nil, fmt.Errorf("input %v: dim 1 must be a multiple of prod(block_shape) %d and dim 2 the block count %d", x.Shape, k, l)
	}
	ch := ck / k
	outShape = append([]int{n, ch}, size...)
	if err := checkElemCount(outShape, "output shape"); err != nil {
		return nil, err
	}
	out := NewTensor(x.DType, outShape)
	if n*ch == 0 {
		// Nothing to add; the walk below is bounded by the input's size
		// only when it has elements.
		return single(out), nil
	}
	plane := NumElements(size)
	var src, dst []int
	kk, ll, pos := scratch[int](nd), scratch[int](nd), scratch[int](nd)
	for kf := range k {
		unflatten(kf, b, kk)
		for lf := range l {
			unflatten(lf, nblocks, ll)
			at, inside := 0, true
			for d := range nd {
				pos[d] = ll[d]*str[d] - pads[d] + kk[d]*dil[d]
				if pos[d] < 0 || pos[d] >= size[d] {
					inside = false
					break
				}
				at = at*size[d] + pos[d]
			}
			if !inside {
				continue
			}
			for bn := range n {
				for cc := range ch {
					src = append(src, ((bn*ck)+cc*k+kf)*l+lf)
					dst = append(dst, (bn*ch+cc)*plane+at)
				}
			}
		}
	}
	if err := scatterReduce(out, takeFlat(x, []int{len(src)}, src), dst, "add"); err != nil {
		return nil, err
	}
	return single(out), nil
}

// unflatten writes the row-major multi-index of flat index f in shape to
// idx.
func unflatten(f int, shape, idx []int) {
	for d := len(shape) - 1; d >= 0; d-- {
		idx[d] = f % shape[d]
		f /= shape[d]
	}
}
