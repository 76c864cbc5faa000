package gguf

import (
	"bytes"
	"encoding/binary"
	"math"
	"slices"
	"testing"

	"github.com/kiln-ml/kiln/ir/quant"
)

// goodSpec is a small valid file with one key of every value type, a
// nested array and three tensors (F32, Q8_0, a scalar).
func goodSpec() testSpec {
	q8 := make([]byte, 2*34) // two Q8_0 blocks
	for i := range q8 {
		q8[i] = byte(i)
	}
	return testSpec{
		kvs: []testKV{
			kvStr("general.architecture", "llama"),
			kvRaw("u8", uint32(TypeUint8), []byte{200}),
			kvRaw("i8", uint32(TypeInt8), []byte{0xfe}),
			kvRaw("u16", uint32(TypeUint16), []byte{0x34, 0x12}),
			kvRaw("i16", uint32(TypeInt16), []byte{0xff, 0xff}),
			kvU32("llama.block_count", 5),
			kvRaw("i32", uint32(TypeInt32), le32(uint32(0xfffffff9))), // -7
			kvF32("llama.rope.freq_base", 10000),
			kvRaw("yes", uint32(TypeBool), []byte{1}),
			kvRaw("u64", uint32(TypeUint64), le64(1<<40)),
			kvRaw("big", uint32(TypeUint64), le64(math.MaxUint64)),
			kvRaw("i64", uint32(TypeInt64), le64(uint64(1<<64-3))), // -3
			kvRaw("f64", uint32(TypeFloat64), le64(math.Float64bits(0.25))),
			kvArr("tokenizer.ggml.tokens", encArr(uint32(TypeString), 3, encStr("<s>"), encStr(""), encStr("héllo"))),
			kvArr("tokenizer.ggml.scores", encArr(uint32(TypeFloat32), 2, le32(math.Float32bits(-1.5)), le32(math.Float32bits(2)))),
			kvArr("tokenizer.ggml.token_type", encArr(uint32(TypeInt32), 2, le32(1), le32(uint32(0xffffffff)))),
			kvArr("u16s", encArr(uint32(TypeUint16), 2, []byte{1, 0}, []byte{0, 1})),
			kvArr("nested", encArr(uint32(TypeArray), 2,
				encArr(uint32(TypeUint8), 2, []byte{1}, []byte{2}),
				encArr(uint32(TypeBool), 1, []byte{0}))),
			kvArr("empty", encArr(uint32(TypeInt64), 0)),
		},
		tensors: []testTensor{
			f32Tensor("token_embd.weight", 3, 2),
			{name: "blk.0.attn_q.weight", typ: uint32(quant.Q8_0), dims: []uint64{64, 1}, data: q8},
			f32Tensor("scale"),
		},
	}
}

func TestOpenGood(t *testing.T) {
	data := goodSpec().build()
	f, err := Open(writeTemp(t, data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Version != 3 || f.Alignment != 32 || f.Size != int64(len(data)) {
		t.Errorf("version %d alignment %d size %d, want 3 32 %d", f.Version, f.Alignment, f.Size, len(data))
	}
	if len(f.KV) != 19 || f.KV[0].Key != "general.architecture" || f.KV[18].Key != "empty" || f.KV[0].Offset != 24 {
		t.Errorf("KV: %d entries, first %q at %d", len(f.KV), f.KV[0].Key, f.KV[0].Offset)
	}
	type check struct {
		name string
		got  any
		ok   bool
		want any
	}
	str, strOK := f.String("general.architecture")
	u8, u8OK := f.Uint("u8")
	i8, i8OK := f.Int("i8")
	i8u, i8uOK := f.Uint("i8")
	u16, u16OK := f.Uint("u16")
	i16, i16OK := f.Int("i16")
	bc, bcOK := f.Uint("llama.block_count")
	i32, i32OK := f.Int("i32")
	fb, fbOK := f.Float("llama.rope.freq_base")
	fbi, fbiOK := f.Int("llama.rope.freq_base")
	yes, yesOK := f.Bool("yes")
	u64, u64OK := f.Int("u64")
	big, bigOK := f.Uint("big")
	bigi, bigiOK := f.Int("big")
	i64, i64OK := f.Int("i64")
	f64, f64OK := f.Float("f64")
	toks, toksOK := f.Strings("tokenizer.ggml.tokens")
	scores, scoresOK := f.Float32s("tokenizer.ggml.scores")
	types, typesOK := f.Int32s("tokenizer.ggml.token_type")
	ints, intsOK := f.Ints("tokenizer.ggml.token_type")
	u16s, u16sOK := f.Ints("u16s")
	bigs, bigsOK := f.Ints("tokenizer.ggml.scores")
	miss, missOK := f.String("absent")
	wrong, wrongOK := f.String("u8")
	empty, emptyOK := f.Ints("empty")
	for _, c := range []check{
		{"String", str, strOK, "llama"},
		{"Uint u8", u8, u8OK, uint64(200)},
		{"Int i8", i8, i8OK, int64(-2)},
		{"Uint of a negative", i8u, !i8uOK, uint64(0)},
		{"Uint u16", u16, u16OK, uint64(0x1234)},
		{"Int i16", i16, i16OK, int64(-1)},
		{"Uint u32", bc, bcOK, uint64(5)},
		{"Int i32", i32, i32OK, int64(-7)},
		{"Float f32", fb, fbOK, 10000.0},
		{"Int of a float", fbi, !fbiOK, int64(0)},
		{"Bool", yes, yesOK, true},
		{"Int u64", u64, u64OK, int64(1 << 40)},
		{"Uint max u64", big, bigOK, uint64(math.MaxUint64)},
		{"Int of max u64", bigi, !bigiOK, int64(0)},
		{"Int i64", i64, i64OK, int64(-3)},
		{"Float f64", f64, f64OK, 0.25},
		{"Strings", toks, toksOK, []string{"<s>", "", "héllo"}},
		{"Float32s", scores, scoresOK, []float32{-1.5, 2}},
		{"Int32s", types, typesOK, []int32{1, -1}},
		{"Ints of int32", ints, intsOK, []int64{1, -1}},
		{"Ints of uint16", u16s, u16sOK, []int64{1, 256}},
		{"Ints of floats", bigs, !bigsOK, []int64(nil)},
		{"missing key", miss, !missOK, ""},
		{"String of a uint8", wrong, !wrongOK, ""},
		{"Ints of an empty array", empty, emptyOK, []int64{}},
	} {
		if !c.ok || !equalAny(c.got, c.want) {
			t.Errorf("%s: got %#v (ok as expected: %v), want %#v", c.name, c.got, c.ok, c.want)
		}
	}
	nested, ok := f.Value("nested")
	if !ok || nested.Type() != TypeArray || nested.Len() != 2 {
		t.Fatalf("nested: %v %v", nested, ok)
	}
	if e, _ := nested.Elem(); e != TypeArray {
		t.Errorf("nested element type %s, want array", e)
	}
	inner, _ := nested.Index(0)
	if got, ok := inner.Interface().([]uint8); !ok || !bytes.Equal(got, []byte{1, 2}) {
		t.Errorf("nested[0] = %#v", inner.Interface())
	}
	if got := nested.String(); got != "[[1, 2], [false]]" {
		t.Errorf("nested prints as %s", got)
	}
	if v, _ := f.Value("tokenizer.ggml.tokens"); v.Summary(2) != `["<s>", "", ... (3 items)]` {
		t.Errorf("summary: %s", v.Summary(2))
	}

	if len(f.Tensors) != 3 {
		t.Fatalf("%d tensors, want 3", len(f.Tensors))
	}
	want := []struct {
		name          string
		typ           quant.GGMLType
		dims          []uint64
		offset, bytes int64
	}{
		{"token_embd.weight", quant.F32, []uint64{3, 2}, 0, 24},
		{"blk.0.attn_q.weight", quant.Q8_0, []uint64{64, 1}, 32, 68},
		{"scale", quant.F32, []uint64{}, 128, 4},
	}
	for i, w := range want {
		g := f.Tensors[i]
		if g.Name != w.name || g.Type != w.typ || !slices.Equal(g.Dims, w.dims) || g.Offset != w.offset || g.Bytes != w.bytes {
			t.Errorf("tensor %d: %+v, want %+v", i, g, w)
		}
	}
	if f.DataOffset%32 != 0 || f.Size-f.DataOffset != 160 {
		t.Errorf("data section at %d of %d bytes", f.DataOffset, f.Size)
	}
	tq, ok := f.Tensor("blk.0.attn_q.weight")
	if !ok {
		t.Fatal("Tensor: attn_q not found")
	}
	b, err := f.TensorData(tq)
	if err != nil || len(b) != 68 || b[0] != 0 || b[67] != 67 {
		t.Errorf("TensorData(attn_q): %d bytes, err %v", len(b), err)
	}
	te, _ := f.Tensor("token_embd.weight")
	b, _ = f.TensorData(te)
	if got := math.Float32frombits(binary.LittleEndian.Uint32(b[20:])); got != 5 {
		t.Errorf("token_embd[5] = %v, want 5", got)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.TensorData(tq); err == nil {
		t.Error("TensorData after Close: no error")
	}
	if err := f.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// equalAny compares the scalars and slices the accessors return.
func equalAny(a, b any) bool {
	switch x := a.(type) {
	case []string:
		return slices.Equal(x, b.([]string))
	case []float32:
		return slices.Equal(x, b.([]float32))
	case []int32:
		return slices.Equal(x, b.([]int32))
	case []int64:
		y := b.([]int64)
		return slices.Equal(x, y) && (x == nil) == (y == nil)
	}
	return a == b
}

func TestParseMatchesOpen(t *testing.T) {
	data := goodSpec().build()
	f, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	tq, _ := f.Tensor("scale")
	b, err := f.TensorData(tq)
	if err != nil || &b[0] != &data[f.DataOffset+128] {
		t.Errorf("Parse: TensorData does not alias the input (err %v)", err)
	}
}
