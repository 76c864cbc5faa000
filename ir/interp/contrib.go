package interp

import (
	"fmt"

	"github.com/kiln-ml/kiln/ir"
)

// Kernels of the com.microsoft ops kiln keeps under their own name
// (ir/ops_contrib.go).

func init() {
	Register("com.microsoft.MatMulNBits", kernelMatMulNBits)
}

// kernelMatMulNBits multiplies A [..., K] by the transpose of the
// block-quantized B [N, K]. It never expands B: for each output column n it
// dequantizes one block of B's row n at a time into a block_size buffer and
// takes its dot product with the matching slice of each row of A. Each
// dequantized weight is rounded to float32, (code - zero_point) * scale in
// float32 as ONNX Runtime's CPU kernel forms it, and the sums are taken in
// float64.
func kernelMatMulNBits(_ *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := floatTensorOperands(args, 3, 5)
	if err != nil {
		return nil, err
	}
	a, b, sc, zpT, biasT := ts[0], ts[1], ts[2], ts[3], ts[4]
	l, err := ir.MatMulNBitsLayout(op)
	if err != nil {
		return nil, err
	}
	if len(a.Shape) == 0 || int64(a.Shape[len(a.Shape)-1]) != l.K {
		return nil, fmt.Errorf("A has shape %v; its last dim must be K=%d", a.Shape, l.K)
	}
	if b.DType != ir.U8 || len(b.Shape) != 3 || int64(b.Shape[0]) != l.N || int64(b.Shape[1]) != l.Blocks || int64(b.Shape[2]) != l.BlobBytes {
		return nil, fmt.Errorf("B is %v%v, want u8[%d,%d,%d] (N, blocks of %d codes, bytes a block)", b.DType, b.Shape, l.N, l.Blocks, l.BlobBytes, l.BlockSize)
	}
	if sc.DType != a.DType || int64(sc.Len()) != l.N*l.Blocks {
		return nil, fmt.Errorf("scales is %v%v, want %d %v values (N=%d by %d blocks)", sc.DType, sc.Shape, l.N*l.Blocks, a.DType, l.N, l.Blocks)
	}
	scales := Data[float32](ToF32(sc))
	codes := Data[uint8](b)
	var zps []uint8
	if zpT != nil {
		if zpT.DType != ir.U8 || int64(zpT.Len()) != l.N*l.ZeroPointRowBytes {
			return nil, fmt.Errorf("zero_points is %v%v, want %d u8 values (N=%d rows of %d packed bytes)", zpT.DType, zpT.Shape, l.N*l.ZeroPointRowBytes, l.N, l.ZeroPointRowBytes)
		}
		zps = Data[uint8](zpT)
	}
	var bias []float32
	if biasT != nil {
		if biasT.DType != a.DType || int64(biasT.Len()) != l.N || len(biasT.Shape) != 1 {
			return nil, fmt.Errorf("bias is %v%v, want %v[%d]", biasT.DType, biasT.Shape, a.DType, l.N)
		}
		bias = Data[float32](ToF32(biasT))
	}
	K, N, bs := int(l.K), int(l.N), int(l.BlockSize)
	rows := a.Len() / K
	outShape := append(append([]int(nil), a.Shape[:len(a.Shape)-1]...), N)
	if _, err := ir.ElemCountInts(outShape); err != nil {
		return nil, err
	}
	av := Data[float32](ToF32(a))
	acc := scratch[float64](rows * N)
	w := scratch[float32](bs)
	mask := uint8(1)<<l.Bits - 1
	perByte := 8 / int(l.Bits)
	for n := 0; n < N; n++ {
		for blk := 0; blk < int(l.Blocks); blk++ {
			zp := uint8(1) << (l.Bits - 1)
			if zps != nil {
				// Zero points pack like codes: ceil(blocks*bits/8) bytes a
				// row, low bits first.
				i := blk / perByte
				zp = zps[n*int(l.ZeroPointRowBytes)+i] >> (uint(blk%perByte) * uint(l.Bits)) & mask
			}
			s := scales[n*int(l.Blocks)+blk]
			blob := codes[(n*int(l.Blocks)+blk)*int(l.BlobBytes):][:l.BlobBytes]
			k0 := blk * bs
			kn := min(bs, K-k0) // the last block may be padded past K
			for j := 0; j < kn; j++ {
				q := blob[j/perByte] >> (uint(j%perByte) * uint(l.Bits)) & mask
				w[j] = float32(int32(q)-int32(zp)) * s
			}
			for r := 0; r < rows; r++ {
				row := av[r*K+k0 : r*K+k0+kn]
				sum := 0.0
				for j, x := range row {
					sum += float64(x) * float64(w[j])
				}
				acc[r*N+n] += sum
			}
		}
	}
	if bias != nil {
		for r := 0; r < rows; r++ {
			for n := range N {
				acc[r*N+n] += float64(bias[n])
			}
		}
	}
	return []Value{nnFromFloats(a.DType, outShape, acc)}, nil
}
