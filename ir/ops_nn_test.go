package ir

import "testing"

// TestNNInfer checks the inferred result types of the NN ops on the shapes
// the real models and the ONNX tests use.
func TestNNInfer(t *testing.T) {
	f32 := func(dims ...Dim) Type { return TensorType(F32, Shape{Ranked: true, Dims: dims}) }
	s := Static
	batch := Symbolic("batch")
	tests := []struct {
		name  string
		op    string
		args  []Type
		attrs []Attr
		nres  int
		want  []string
		err   bool
	}{
		{name: "mnist-8 conv SAME_UPPER", op: "Conv", args: []Type{f32(s(1), s(1), s(28), s(28)), f32(s(8), s(1), s(5), s(5))},
			attrs: []Attr{{"auto_pad", StringAttr("SAME_UPPER")}, {"kernel_shape", IntsAttr([]int64{5, 5})}},
			nres:  1, want: []string{"f32[1,8,28,28]"}},
		{name: "depthwise stride 2 symbolic batch", op: "Conv", args: []Type{f32(batch, s(32), s(112), s(112)), f32(s(32), s(1), s(3), s(3)), f32(s(32))},
			attrs: []Attr{{"group", IntAttr(32)}, {"pads", IntsAttr([]int64{1, 1, 1, 1})}, {"strides", IntsAttr([]int64{2, 2})}},
			nres:  1, want: []string{"f32[batch,32,56,56]"}},
		{name: "conv unknown spatial", op: "Conv", args: []Type{f32(s(1), s(3), Unknown(), s(10)), f32(s(4), s(3), s(3), s(3))},
			nres: 1, want: []string{"f32[1,4,?,8]"}},
		{name: "conv rank mismatch", op: "Conv", args: []Type{f32(s(1), s(3), s(10)), f32(s(4), s(3), s(3), s(3))}, nres: 1, err: true},
		{name: "convinteger i32", op: "ConvInteger", args: []Type{TensorType(U8, ShapeOf(1, 1, 4, 4)), TensorType(U8, ShapeOf(1, 1, 2, 2))},
			nres: 1, want: []string{"i32[1,1,3,3]"}},
		{name: "convtranspose output_padding", op: "ConvTranspose", args: []Type{f32(s(1), s(1), s(3), s(3)), f32(s(1), s(2), s(3), s(3))},
			attrs: []Attr{{"output_padding", IntsAttr([]int64{1, 1})}, {"strides", IntsAttr([]int64{3, 2})}},
			nres:  1, want: []string{"f32[1,2,10,8]"}},
		{name: "convtranspose output_shape", op: "ConvTranspose", args: []Type{f32(s(1), s(1), Unknown(), Unknown()), f32(s(1), s(2), s(3), s(3))},
			attrs: []Attr{{"output_shape", IntsAttr([]int64{10, 8})}},
			nres:  1, want: []string{"f32[1,2,10,8]"}},
		{name: "maxpool indices ceil", op: "MaxPool", args: []Type{f32(s(1), s(3), s(5), s(5))},
			attrs: []Attr{{"ceil_mode", IntAttr(1)}, {"kernel_shape", IntsAttr([]int64{2, 2})}, {"strides", IntsAttr([]int64{2, 2})}},
			nres:  2, want: []string{"f32[1,3,3,3]", "i64[1,3,3,3]"}},
		{name: "global average pool", op: "GlobalAveragePool", args: []Type{f32(batch, s(1280), s(7), s(7))}, nres: 1, want: []string{"f32[batch,1280,1,1]"}},
		{name: "matmul 1-D by batched", op: "MatMul", args: []Type{f32(s(3)), f32(s(2), s(3), s(4))}, nres: 1, want: []string{"f32[2,4]"}},
		{name: "matmul batch broadcast", op: "MatMul", args: []Type{f32(s(2), s(1), s(5), s(3)), f32(s(4), s(3), s(6))}, nres: 1, want: []string{"f32[2,4,5,6]"}},
		{name: "matmul inner mismatch", op: "MatMul", args: []Type{f32(s(2), s(3)), f32(s(4), s(2))}, nres: 1, err: true},
		{name: "gemm transposes", op: "Gemm", args: []Type{f32(s(4), s(3)), f32(s(5), s(4))},
			attrs: []Attr{{"transA", IntAttr(1)}, {"transB", IntAttr(1)}}, nres: 1, want: []string{"f32[3,5]"}},
		{name: "layernorm stats", op: "LayerNormalization", args: []Type{f32(batch, s(16), s(256)), f32(s(256))},
			nres: 3, want: []string{"f32[batch,16,256]", "f32[batch,16,1]", "f32[batch,16,1]"}},
		{name: "einsum implicit", op: "Einsum", args: []Type{f32(s(2), s(3)), f32(s(3), s(4))},
			attrs: []Attr{{"equation", StringAttr("ij,jk")}}, nres: 1, want: []string{"f32[2,4]"}},
		{name: "det batch", op: "Det", args: []Type{f32(s(5), s(3), s(3))}, nres: 1, want: []string{"f32[5]"}},
		{name: "quantize default u8", op: "QuantizeLinear", args: []Type{f32(s(2)), f32()}, nres: 1, want: []string{"u8[2]"}},
		{name: "dropout mask", op: "Dropout", args: []Type{f32(s(2))}, nres: 2, want: []string{"f32[2]", "bool[2]"}},
		{name: "roialign", op: "RoiAlign", args: []Type{f32(s(1), s(8), s(10), s(10)), f32(s(3), s(4)), TensorType(I64, ShapeOf(3))},
			attrs: []Attr{{"output_height", IntAttr(5)}, {"output_width", IntAttr(4)}}, nres: 1, want: []string{"f32[3,8,5,4]"}},
		{name: "gridsample", op: "GridSample", args: []Type{f32(s(1), s(3), s(10), s(10)), f32(s(1), s(6), s(7), s(2))}, nres: 1, want: []string{"f32[1,3,6,7]"}},
		{name: "maxunpool default", op: "MaxUnpool", args: []Type{f32(s(1), s(1), s(2), s(2)), TensorType(I64, ShapeOf(1, 1, 2, 2))},
			attrs: []Attr{{"kernel_shape", IntsAttr([]int64{2, 2})}, {"strides", IntsAttr([]int64{2, 2})}}, nres: 1, want: []string{"f32[1,1,4,4]"}},
	}
	for _, tc := range tests {
		m := NewModule()
		f := m.NewFunc("main")
		var args []*Value
		for _, a := range tc.args {
			args = append(args, f.Body.AddParam(a))
		}
		op, err := f.Body.Build(tc.op, args, tc.attrs, tc.nres)
		if tc.err {
			if err == nil {
				t.Errorf("%s: want an error, got %v", tc.name, op.Results[0].Type)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		for i, w := range tc.want {
			if got := op.Results[i].Type.String(); got != w {
				t.Errorf("%s: result %d is %s, want %s", tc.name, i, got, w)
			}
		}
	}
}
