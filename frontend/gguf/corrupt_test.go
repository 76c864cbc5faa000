package gguf

import (
	"errors"
	"strings"
	"testing"

	"github.com/kiln-ml/kiln/ir/quant"
)

// TestCorrupt breaks one field of a good file per case and checks the
// refusal: the byte offset of the field at fault and the words of the
// message. Offsets are counted by hand from the layout: the fixed header
// is 24 bytes (magic, version, tensor count at 8, metadata count at 16);
// an entry with the one-byte key "k" at 24 has its type at 33 and its
// value at 37; a tensor "t" whose info starts at 24 has its dims count at
// 33, its dims from 37, then its type and its offset.
func TestCorrupt(t *testing.T) {
	q8 := func(name string, dims []uint64, blocks int) testTensor {
		return testTensor{name: name, typ: uint32(quant.Q8_0), dims: dims, data: make([]byte, 34*blocks)}
	}
	cases := []struct {
		name   string
		spec   testSpec
		raw    []byte // used instead of spec when set
		offset int64
		want   string
	}{
		{name: "empty file", raw: []byte{}, offset: 0, want: "file of 0 bytes is shorter than the 24-byte GGUF header"},
		{name: "short header", raw: []byte("GGUF\x03\x00\x00\x00"), offset: 0, want: "shorter than the 24-byte"},
		{name: "magic", spec: testSpec{magic: "GGML"}, offset: 0, want: `magic: "GGML", want "GGUF"`},
		{name: "version 1", spec: testSpec{version: 1}, offset: 4, want: "version 1 is not supported"},
		{name: "version 4", spec: testSpec{version: 4}, offset: 4, want: "version 4 is not supported (2 and 3 are)"},
		{name: "big-endian", spec: testSpec{version: 3 << 24}, offset: 4, want: "big-endian"},
		{name: "metadata count", spec: testSpec{nKV: u64p(1 << 40)}, offset: 16, want: "metadata count 1099511627776: the 0 bytes after the header hold at most 0 entries"},
		{name: "tensor count", spec: testSpec{nTensors: u64p(1)}, offset: 8, want: "tensor count 1: the 0 bytes after the header hold at most 0 tensor infos"},
		{name: "tensor count past infos", spec: testSpec{nTensors: u64p(2), tensors: []testTensor{f32Tensor("t", 1)}}, offset: 57, want: "tensor 1: empty name"},
		{name: "metadata count past entries", spec: testSpec{nKV: u64p(2), kvs: []testKV{kvU32("k", 1), kvU32("l", 1)}, truncate: 1}, offset: 54, want: "key 1 \"l\": 4 bytes needed, the file ends 3 bytes later"},
		{name: "empty key", spec: withKVs(kvU32("", 1)), offset: 24, want: "key 0: empty key"},
		{name: "key too long", spec: withKVs(kvU32(strings.Repeat("k", MaxKeyBytes+1), 1)), offset: 24, want: "key 0: length 65536 exceeds the limit of 65535 bytes"},
		{name: "key not UTF-8", spec: withKVs(kvU32("\xff", 1)), offset: 24, want: "key is not valid UTF-8"},
		{name: "key past the end", raw: append(append(testSpec{nKV: u64p(1)}.build(), le64(100)...), "abcdef"...), offset: 32, want: "key 0: 100 bytes needed, the file ends 6 bytes later"},
		{name: "value type", spec: withKVs(kvRaw("k", 13, le32(0))), offset: 33, want: `key 0 "k": unknown value type 13`},
		{name: "duplicate key", spec: withKVs(kvU32("k", 1), kvU32("k", 2)), offset: 41, want: `key 1 "k": duplicate key (also key 0 at offset 0x18)`},
		{name: "truncated value", spec: testSpec{kvs: []testKV{kvU32("k", 1)}, truncate: 1}, offset: 37, want: `key 0 "k": 4 bytes needed, the file ends 3 bytes later`},
		{name: "bool", spec: withKVs(kvRaw("k", uint32(TypeBool), []byte{2})), offset: 37, want: "bool byte 2 is neither 0 nor 1"},
		{name: "string too long", spec: withKVs(kvRaw("k", uint32(TypeString), le64(MaxStringBytes+1))), offset: 37, want: "length 16777217 exceeds the limit of 16777216 bytes"},
		{name: "string past the end", spec: withKVs(kvRaw("k", uint32(TypeString), le64(9))), offset: 45, want: "9 bytes needed, the file ends 0 bytes later"},
		{name: "array too long", spec: withKVs(kvArr("k", encArr(uint32(TypeUint8), MaxArrayLen+1))), offset: 41, want: "array of 67108865 uint8 exceeds the limit of 67108864 elements"},
		{name: "array past the end", spec: withKVs(kvArr("k", encArr(uint32(TypeUint32), 3, le32(1), le32(2)))), offset: 41, want: "array of 3 uint32 cannot fit in the 8 bytes left"},
		{name: "array of strings past the end", spec: withKVs(kvArr("k", encArr(uint32(TypeString), 2, encStr("a")))), offset: 41, want: "array of 2 string cannot fit in the 9 bytes left"},
		{name: "array element type", spec: withKVs(kvArr("k", encArr(13, 0))), offset: 37, want: "unknown array element type 13"},
		{name: "array element", spec: withKVs(kvArr("k", encArr(uint32(TypeBool), 2, []byte{0}, []byte{7}))), offset: 50, want: `key 0 "k"[1]: bool byte 7`},
		{name: "arrays nested too deep", spec: withKVs(kvArr("k", nested(MaxArrayDepth+1))), offset: 37 + 12*MaxArrayDepth, want: "arrays nested deeper than 8"},
		{name: "alignment type", spec: withKVs(kvRaw("general.alignment", uint32(TypeUint64), le64(32))), offset: 24, want: `key 0 "general.alignment": type uint64, want uint32`},
		{name: "alignment zero", spec: withKVs(kvU32("general.alignment", 0)), offset: 24, want: "0 is not a power of two and a multiple of 8"},
		{name: "alignment not a power of two", spec: withKVs(kvU32("general.alignment", 24)), offset: 24, want: "24 is not a power of two"},
		{name: "alignment under 8", spec: withKVs(kvU32("general.alignment", 4)), offset: 24, want: "4 is not a power of two and a multiple of 8"},
		{name: "tensor name empty", spec: withTensors(f32Tensor("", 1)), offset: 24, want: "tensor 0: empty name"},
		{name: "tensor name too long", spec: withTensors(f32Tensor(strings.Repeat("n", MaxNameBytes+1), 1)), offset: 24, want: "tensor 0 name: length 64 exceeds the limit of 63 bytes"},
		{name: "tensor name NUL", spec: withTensors(f32Tensor("a\x00b", 1)), offset: 24, want: "name holds a NUL byte"},
		{name: "tensor name not UTF-8", spec: withTensors(f32Tensor("\xc3", 1)), offset: 24, want: "name is not valid UTF-8"},
		{name: "duplicate tensor", spec: withTensors(f32Tensor("t", 1), f32Tensor("t", 1)), offset: 24 + 9 + 4 + 8 + 4 + 8, want: `tensor 1 "t": duplicate name (also tensor 0 at offset 0x18)`},
		{name: "dims count", spec: withTensors(testTensor{name: "t", dims: []uint64{1}, nDims: u32p(7), data: make([]byte, 4)}), offset: 33, want: `tensor 0 "t": dims count 7 exceeds 4`},
		{name: "dim over int64", spec: withTensors(testTensor{name: "t", dims: []uint64{1 << 63}}), offset: 37, want: "dim 0 (9223372036854775808): the element count overflows int64"},
		{name: "dims product overflow", spec: withTensors(testTensor{name: "t", dims: []uint64{1 << 32, 1 << 31}}), offset: 45, want: "dim 1 (2147483648): the element count overflows int64"},
		{name: "bytes overflow", spec: withTensors(testTensor{name: "t", dims: []uint64{1 << 62}}), offset: 45, want: "4611686018427387904 elements of F32 overflow int64 bytes"},
		{name: "unknown type", spec: withTensors(testTensor{name: "t", typ: 99, dims: []uint64{1}}), offset: 45, want: `tensor 0 "t": unknown ggml type 99`},
		{name: "retired type", spec: withTensors(testTensor{name: "t", typ: 31, dims: []uint64{1}}), offset: 45, want: "ggml type 31 (Q4_0_4_4) was retired from the format"},
		{name: "partial block", spec: withTensors(q8("t", []uint64{33, 2}, 2)), offset: 53, want: "rows of 33 elements are not a whole number of Q8_0 blocks of 32"},
		{name: "scalar of a block type", spec: withTensors(q8("t", nil, 1)), offset: 37, want: "rows of 1 elements are not a whole number of Q8_0 blocks"},
		{name: "offset not aligned", spec: withTensors(testTensor{name: "t", dims: []uint64{1}, data: make([]byte, 4), offset: u64p(4)}), offset: 49, want: "data offset 4 is not a multiple of the alignment 32"},
		{name: "offset over int64", spec: withTensors(testTensor{name: "t", dims: []uint64{1}, offset: u64p(1 << 63)}), offset: 49, want: "data offset 9223372036854775808"},
		{name: "data past the end", spec: testSpec{tensors: []testTensor{f32Tensor("t", 8)}, truncate: 1}, offset: 24, want: `tensor 0 "t": data [0, +32) of the data section runs past the end of the file (section of 31 bytes at offset 0x40)`},
		{name: "offset past the end", spec: withTensors(testTensor{name: "t", dims: []uint64{1}, data: make([]byte, 4), offset: u64p(1 << 40)}), offset: 24, want: "data [1099511627776, +4) of the data section runs past the end"},
		{name: "header padding cut", spec: testSpec{tensors: []testTensor{{name: "t", dims: []uint64{0}}}, truncate: 1}, offset: 24, want: "section of 0 bytes at offset 0x40"},
		{name: "overlap", spec: withTensors(f32Tensor("a", 16), testTensor{name: "b", dims: []uint64{8}, data: make([]byte, 32), offset: u64p(32)}), offset: 24 + 9 + 4 + 8 + 4 + 8, want: `tensor 1 "b": data [32, +32) overlaps tensor 0 "a" [0, +64)`},
		{name: "same offset", spec: withTensors(f32Tensor("a", 8), testTensor{name: "b", dims: []uint64{8}, data: make([]byte, 32), offset: u64p(0)}), offset: 24 + 9 + 4 + 8 + 4 + 8, want: `tensor 1 "b": data [0, +32) overlaps tensor 0 "a" [0, +32)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := c.raw
			if data == nil {
				data = c.spec.build()
			}
			path := writeTemp(t, data)
			f, err := Open(path)
			if err == nil {
				f.Close()
				t.Fatalf("Open accepted the file")
			}
			e, ok := errors.AsType[*Error](err)
			if !ok {
				t.Fatalf("error %q is not a *gguf.Error", err)
			}
			if e.Path != path || e.Offset != c.offset || !strings.Contains(e.Msg, c.want) {
				t.Errorf("got  %v\nwant %s: offset 0x%x: ...%s...", err, path, c.offset, c.want)
			}
			// Parse refuses the same bytes with the same error, pathless.
			if _, perr := Parse(data); perr == nil || !strings.HasPrefix(perr.Error(), "gguf: offset ") || !strings.HasSuffix(err.Error(), strings.TrimPrefix(perr.Error(), "gguf")) {
				t.Errorf("Parse: %v, Open: %v", perr, err)
			}
		})
	}
}

// nested returns an array value nested depth deep: arrays of one array,
// down to an empty array of uint8.
func nested(depth int) []byte {
	if depth == 1 {
		return encArr(uint32(TypeUint8), 0)
	}
	return encArr(uint32(TypeArray), 1, nested(depth-1))
}

func TestNestingAtTheLimit(t *testing.T) {
	f, err := Parse(withKVs(kvArr("k", nested(MaxArrayDepth))).build())
	if err != nil {
		t.Fatalf("arrays nested %d deep: %v", MaxArrayDepth, err)
	}
	v, _ := f.Value("k")
	for d := 1; d < MaxArrayDepth; d++ {
		if v.Len() != 1 {
			t.Fatalf("depth %d: length %d, want 1", d, v.Len())
		}
		v, _ = v.Index(0)
	}
	if e, _ := v.Elem(); e != TypeUint8 || v.Len() != 0 {
		t.Errorf("innermost: %s of %d, want uint8 of 0", e, v.Len())
	}
}

// TestVersion2 reads a version 2 file, which lays out the header as
// version 3 does.
func TestVersion2(t *testing.T) {
	s := goodSpec()
	s.version = 2
	f, err := Parse(s.build())
	if err != nil || f.Version != 2 || len(f.Tensors) != 3 {
		t.Fatalf("version 2: %v", err)
	}
}

// TestAlignment reads a file whose general.alignment moves the data.
func TestAlignment(t *testing.T) {
	s := testSpec{kvs: []testKV{kvU32("general.alignment", 64)}, tensors: []testTensor{f32Tensor("a", 1), f32Tensor("b", 1)}, alignment: 64}
	f, err := Parse(s.build())
	if err != nil {
		t.Fatal(err)
	}
	if f.Alignment != 64 || f.DataOffset != 128 || f.Tensors[1].Offset != 64 {
		t.Errorf("alignment %d, data at %d, b at %d; want 64, 128, 64", f.Alignment, f.DataOffset, f.Tensors[1].Offset)
	}
	b, _ := f.TensorData(&f.Tensors[1])
	if len(b) != 4 {
		t.Errorf("b: %d bytes", len(b))
	}
}

// TestEmptyTensors: tensors with a zero dim hold no bytes and may share
// an offset with anything.
func TestEmptyTensors(t *testing.T) {
	s := withTensors(f32Tensor("a", 8), testTensor{name: "e", dims: []uint64{0, 5}, offset: u64p(0)})
	f, err := Parse(s.build())
	if err != nil {
		t.Fatal(err)
	}
	if e := f.Tensors[1]; e.Bytes != 0 || e.Elements() != 0 || e.Shape() != "[0 5]" {
		t.Errorf("empty tensor: %+v", e)
	}
}

func TestTensorDataOutside(t *testing.T) {
	f, err := Parse(goodSpec().build())
	if err != nil {
		t.Fatal(err)
	}
	for _, ti := range []TensorInfo{
		{Name: "x", Offset: f.Size, Bytes: 1},
		{Name: "x", Offset: -1, Bytes: 1},
		{Name: "x", Offset: 0, Bytes: -1},
		{Name: "x", Offset: 1 << 62, Bytes: 1 << 62},
	} {
		if _, err := f.TensorData(&ti); err == nil || !strings.Contains(err.Error(), "outside the file") {
			t.Errorf("TensorData(%+v): %v", ti, err)
		}
	}
}
