package modeltest

import (
	"fmt"
	"math"

	"google.golang.org/protobuf/proto"

	"github.com/kiln-ml/kiln/frontend/onnx"
	"github.com/kiln-ml/kiln/frontend/onnx/onnxpb"
	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/interp"
)

// This file rewrites a float ONNX graph the way ONNX Runtime's Python
// quantize_dynamic does (its IntegerOps mode), so that the tests can build
// dynamically quantized models without the Python tool. What it follows,
// as that tool behaves (ONNX Runtime 1.2x):
//
//   - Activations are quantized at run time to uint8 by one
//     DynamicQuantizeLinear per tensor (outputs <x>_quantized, <x>_scale,
//     <x>_zero_point), shared by every node that reads that tensor.
//   - MatMul whose B is a float initializer becomes MatMulInteger(A_q, W_q,
//     A_zp, W_zp) → Cast to float → Mul by the product of the two scales
//     (one Mul node of the scales). With the tool's MatMulConstBOnly
//     option off, a MatMul of two activations (attention's scores and
//     context) is quantized too, both sides by DynamicQuantizeLinear.
//   - Conv whose weight is a float initializer becomes ConvInteger with the
//     same attributes → Cast → Mul by the scales, then its bias, reshaped to
//     [1,-1,1,...], is added in float. ConvInteger weights are always per
//     tensor: the tool does not pass per_channel to Conv in this mode.
//   - Everything else (Gemm, Add, LayerNormalization, Softmax, Erf, ...)
//     stays float.
//   - Weights: QInt8 is symmetric (range [-127,127], or [-64,64] with
//     reduce_range; zero point 0), QUInt8 asymmetric ([0,255], or [0,127]
//     with reduce_range). The range always contains 0; scale =
//     (rmax-rmin)/(qmax-qmin) computed in float64 and stored as float32
//     (1 with zero point 0 when it is below float32's smallest normal);
//     the asymmetric zero point is round(qmin - rmin/scale) with the
//     float64 scale. Values are quantized as round(float32(w)/scale) +
//     zero point, rounding half to even, clipped to the type's full range.
//     per_channel quantizes each column of a MatMul weight (axis -1) on
//     its own; its scale and zero point are 1-D.

// qdOptions are the quantize_dynamic settings that change the graph.
type qdOptions struct {
	weight      ir.DType // ir.I8 (QInt8, symmetric) or ir.U8 (QUInt8, asymmetric)
	perChannel  bool     // per_channel: MatMul weights per output column
	reduceRange bool     // reduce_range: 7-bit weight ranges
	constBOnly  bool     // MatMulConstBOnly: activation×activation MatMuls stay float
	// convPerChannel quantizes Conv weights per output channel, which
	// quantize_dynamic does not do: a hand-made variant. ONNX Runtime's
	// ConvInteger refuses a 1-D weight zero point ("Non per-tensor
	// quantization is not supported now"), so this needs symmetric int8
	// weights, whose zero points are all 0 and are written as one scalar.
	convPerChannel bool
	// long marks a setting the tests run only with KILN_LONG=1.
	long bool
}

func (o qdOptions) String() string {
	s := "QInt8"
	if o.weight == ir.U8 {
		s = "QUInt8"
	}
	if o.perChannel {
		s += " per_channel"
	}
	if o.reduceRange {
		s += " reduce_range"
	}
	if !o.constBOnly {
		s += " activation-matmuls"
	}
	if o.convPerChannel {
		s += " conv-per-channel"
	}
	return s
}

// qdRange is get_qmin_qmax_for_qType: the integer range weights of type d
// are mapped to.
func qdRange(d ir.DType, reduce, symmetric bool) (qmin, qmax float64) {
	switch {
	case d == ir.U8 && reduce:
		return 0, 127
	case d == ir.U8 && symmetric:
		return 0, 254
	case d == ir.U8:
		return 0, 255
	case reduce:
		return -64, 64
	case symmetric:
		return -127, 127
	}
	return -128, 127
}

// qdScaleZP is compute_scale_zp for one range of float32 data.
func qdScaleZP(rmin, rmax float32, qmin, qmax float64, symmetric bool) (float32, float64) {
	rmin, rmax = min(rmin, 0), max(rmax, 0)
	if symmetric {
		a := max(-rmin, rmax)
		rmin, rmax = -a, a
	}
	s := float64(rmax-rmin) / (qmax - qmin)
	if s < math.SmallestNonzeroFloat32*(1<<23) { // float32's smallest normal
		return 1, 0
	}
	zp := math.RoundToEven((qmin + qmax) / 2)
	if !symmetric {
		zp = math.RoundToEven(qmin - float64(rmin)/s)
	}
	return float32(s), zp
}

// qdQuantize is quantize_nparray: float32 division, half to even, plus the
// zero point, clipped to d's full range.
func qdQuantize(d ir.DType, x []float32, scale float32, zp float64, out []float64) {
	lo, hi := 0.0, 255.0
	if d == ir.I8 {
		lo, hi = -128, 127
	}
	for i, v := range x {
		q := float64(float32(math.RoundToEven(float64(v/scale))) + float32(zp))
		out[i] = min(max(q, lo), hi)
	}
}

// qdWeight quantizes a float32 weight as one tensor, or per slice along
// axis (axis >= 0). It returns the codes (w's shape) and the scales and
// zero points, one per slice.
func qdWeight(w *interp.Tensor, d ir.DType, axis int, reduce bool) (q *interp.Tensor, scales []float32, zps []float64, err error) {
	if w.DType != ir.F32 {
		return nil, nil, nil, fmt.Errorf("weight is %v, want float32", w.DType)
	}
	x := interp.Data[float32](w)
	sym := d == ir.I8
	qmin, qmax := qdRange(d, reduce, sym)
	codes := make([]float64, len(x))
	if axis < 0 {
		lo, hi := float32(0), float32(0)
		if len(x) > 0 {
			lo, hi = x[0], x[0]
		}
		for _, v := range x {
			lo, hi = min(lo, v), max(hi, v)
		}
		s, z := qdScaleZP(lo, hi, qmin, qmax, sym)
		qdQuantize(d, x, s, z, codes)
		scales, zps = []float32{s}, []float64{z}
	} else {
		n := w.Shape[axis]
		inner := interp.NumElements(w.Shape[axis+1:])
		slices := make([][]int, n) // flat indices of each channel
		for i := range x {
			c := (i / inner) % n
			slices[c] = append(slices[c], i)
		}
		for _, at := range slices {
			sl := make([]float32, len(at))
			for j, i := range at {
				sl[j] = x[i]
			}
			lo, hi := sl[0], sl[0]
			for _, v := range sl {
				lo, hi = min(lo, v), max(hi, v)
			}
			s, z := qdScaleZP(lo, hi, qmin, qmax, sym)
			part := make([]float64, len(sl))
			qdQuantize(d, sl, s, z, part)
			for j, i := range at {
				codes[i] = part[j]
			}
			scales, zps = append(scales, s), append(zps, z)
		}
	}
	q, err = interp.CastTensor(interp.FromSlice(w.Shape, codes), d)
	return q, scales, zps, err
}

// zpTensor is a zero point initializer of type d: a scalar, or 1-D.
func zpTensor(d ir.DType, v []float64, scalar bool) (*interp.Tensor, error) {
	shape := []int{len(v)}
	if scalar {
		shape = nil
	}
	return interp.CastTensor(interp.FromSlice(shape, append([]float64{}, v...)), d)
}

// quantizeDynamic returns a copy of mp rewritten as quantize_dynamic
// writes it, and how many MatMulInteger and ConvInteger nodes it made.
func quantizeDynamic(mp *onnxpb.ModelProto, o qdOptions) (*onnxpb.ModelProto, int, error) {
	mp = proto.Clone(mp).(*onnxpb.ModelProto)
	g := mp.Graph
	inits := map[string]*onnxpb.TensorProto{}
	for _, t := range g.Initializer {
		inits[t.GetName()] = t
	}
	floatInit := func(name string) (*interp.Tensor, bool) {
		tp, ok := inits[name]
		if !ok || tp.GetDataType() != onnx.ONNXDType(ir.F32) {
			return nil, false
		}
		t, err := onnx.TensorFromProto(tp)
		return t, err == nil
	}
	addInit := func(name string, t *interp.Tensor) error {
		if _, ok := inits[name]; ok {
			return nil // shared weight, already quantized
		}
		tp, err := tensorProto(name, t)
		if err != nil {
			return err
		}
		inits[name] = tp
		g.Initializer = append(g.Initializer, tp)
		return nil
	}
	var out []*onnxpb.NodeProto
	node := func(op, name string, in, outs []string, a ...*onnxpb.AttributeProto) {
		out = append(out, &onnxpb.NodeProto{OpType: proto.String(op), Name: proto.String(name), Input: in, Output: outs, Attribute: a})
	}
	dqlDone := map[string]bool{}
	// activation returns the names of x's uint8 codes, scale and zero point.
	activation := func(x string) (q, s, z string) {
		q, s, z = x+"_quantized", x+"_scale", x+"_zero_point"
		if !dqlDone[x] {
			dqlDone[x] = true
			node("DynamicQuantizeLinear", x+"_QuantizeLinear", []string{x}, []string{q, s, z})
		}
		return q, s, z
	}
	// weight quantizes initializer name along axis (-1: per tensor); with
	// scaleShape it also stores the scale reshaped for the output Mul.
	weight := func(name string, w *interp.Tensor, axis int) (q, s, z string, err error) {
		q, s, z = name+"_quantized", name+"_scale", name+"_zero_point"
		qt, scales, zps, err := qdWeight(w, o.weight, axis, o.reduceRange)
		if err != nil {
			return "", "", "", err
		}
		st := interp.FromSlice([]int{len(scales)}, scales)
		if axis < 0 {
			st = interp.Scalar(scales[0])
		}
		scalarZP := axis < 0
		if o.convPerChannel && axis == 0 && o.weight == ir.I8 {
			scalarZP, zps = true, zps[:1] // all 0: symmetric
		}
		zt, err := zpTensor(o.weight, zps, scalarZP)
		if err != nil {
			return "", "", "", err
		}
		for _, e := range []struct {
			n string
			t *interp.Tensor
		}{{q, qt}, {s, st}, {z, zt}} {
			if err := addInit(e.n, e.t); err != nil {
				return "", "", "", err
			}
		}
		return q, s, z, nil
	}
	count := 0
	for _, n := range g.Node {
		name := n.GetName()
		switch n.GetOpType() {
		case "MatMul":
			w, isW := floatInit(n.Input[1])
			if isW && w.Rank() != 2 || !isW && o.constBOnly {
				out = append(out, n)
				continue
			}
			aq, as, az := activation(n.Input[0])
			var bq, bs, bz string
			if isW {
				axis := -1
				if o.perChannel {
					axis = 1
				}
				var err error
				if bq, bs, bz, err = weight(n.Input[1], w, axis); err != nil {
					return nil, 0, fmt.Errorf("%s: %w", name, err)
				}
			} else {
				bq, bs, bz = activation(n.Input[1])
			}
			y := n.Output[0]
			node("MatMulInteger", name+"_quant", []string{aq, bq, az, bz}, []string{y + "_output_quantized"})
			node("Cast", y+"_output_quantized_cast", []string{y + "_output_quantized"}, []string{y + "_output_quantized_cast_output"},
				aInt("to", int64(onnx.ONNXDType(ir.F32))))
			node("Mul", name+"_quant_scales_mul", []string{as, bs}, []string{name + "_quant_scales_mul:0"})
			node("Mul", name+"_quant_output_scale_mul", []string{y + "_output_quantized_cast_output", name + "_quant_scales_mul:0"}, []string{y})
			count++
		case "Conv":
			w, isW := floatInit(n.Input[1])
			if !isW {
				out = append(out, n)
				continue
			}
			xq, xs, xz := activation(n.Input[0])
			axis := -1
			if o.convPerChannel {
				axis = 0
			}
			wq, ws, wz, err := weight(n.Input[1], w, axis)
			if err != nil {
				return nil, 0, fmt.Errorf("%s: %w", name, err)
			}
			if o.convPerChannel {
				// The scales multiply the output's channel dim: [M,1,...].
				shape := make([]int64, w.Rank()-1)
				for i := range shape {
					shape[i] = 1
				}
				shape[0] = -1
				sh := n.Input[1] + "_scale_shape"
				if err := addInit(sh, i64s(shape...)); err != nil {
					return nil, 0, err
				}
				node("Reshape", ws+"_reshape", []string{ws, sh}, []string{ws + "_channels"})
				ws += "_channels"
			}
			y := n.Output[0]
			node("ConvInteger", name+"_quant", []string{xq, wq, xz, wz}, []string{y + "_output_quantized"}, n.Attribute...)
			node("Cast", y+"_output_quantized_cast", []string{y + "_output_quantized"}, []string{y + "_output_quantized_cast_output"},
				aInt("to", int64(onnx.ONNXDType(ir.F32))))
			node("Mul", name+"_quant_scales_mul", []string{xs, ws}, []string{name + "_quant_scales_mul:0"})
			scaled := y
			if len(n.Input) > 2 && n.Input[2] != "" {
				scaled = y + "quant_scaled_output"
			}
			node("Mul", name+"_quant_output_scale_mul", []string{y + "_output_quantized_cast_output", name + "_quant_scales_mul:0"}, []string{scaled})
			if scaled != y {
				shape := make([]int64, w.Rank())
				for i := range shape {
					shape[i] = 1
				}
				shape[1] = -1
				sh := y + "_bias_reshape_shape"
				if err := addInit(sh, i64s(shape...)); err != nil {
					return nil, 0, err
				}
				node("Reshape", "", []string{n.Input[2], sh}, []string{y + "_bias_reshape_output"})
				node("Add", y+"_bias_add", []string{scaled, y + "_bias_reshape_output"}, []string{y})
			}
			count++
		default:
			out = append(out, n)
		}
	}
	g.Node = out
	// Drop the float weights nothing reads any more, as the tool does.
	used := map[string]bool{}
	var mark func(ns []*onnxpb.NodeProto)
	mark = func(ns []*onnxpb.NodeProto) {
		for _, n := range ns {
			for _, i := range n.Input {
				used[i] = true
			}
			for _, a := range n.Attribute {
				if a.G != nil {
					mark(a.G.Node)
				}
			}
		}
	}
	mark(g.Node)
	for _, o := range g.Output {
		used[o.GetName()] = true
	}
	var keep []*onnxpb.TensorProto
	for _, t := range g.Initializer {
		if used[t.GetName()] {
			keep = append(keep, t)
		}
	}
	g.Initializer = keep
	// DynamicQuantizeLinear and the integer ops need opset 11.
	for _, imp := range mp.OpsetImport {
		if imp.GetDomain() == "" && imp.GetVersion() < 11 {
			imp.Version = proto.Int64(11)
		}
	}
	return mp, count, nil
}
