package gguf

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// The writer below builds GGUF files for tests, correct by default, with
// every field open to corruption: the tests of each refusal start from a
// good spec and break one thing.

// testKV is one metadata entry: its key, its value type id and its
// encoded value bytes (see the enc* helpers).
type testKV struct {
	key string
	typ uint32
	raw []byte
}

// testTensor is one tensor: its name, ggml type id, dims and data. nDims
// overrides the dims count written, offset the data offset (by default
// laid out in order, each aligned).
type testTensor struct {
	name   string
	typ    uint32
	dims   []uint64
	data   []byte
	nDims  *uint32
	offset *uint64
}

// testSpec is a whole file. The zero value of each override writes the
// correct field.
type testSpec struct {
	magic     string  // "GGUF" when empty
	version   uint32  // 3 when 0
	nTensors  *uint64 // override of the tensor count
	nKV       *uint64 // override of the metadata count
	kvs       []testKV
	tensors   []testTensor
	alignment int64 // layout alignment; 32 when 0 (set general.alignment too to change the reader's)
	truncate  int   // bytes cut from the end
}

func u32p(v uint32) *uint32 { return &v }
func u64p(v uint64) *uint64 { return &v }

func le32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
func le64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

// encStr encodes a string value: its u64 length, then its bytes.
func encStr(s string) []byte { return append(le64(uint64(len(s))), s...) }

// encArr encodes an array value: element type, count, then the encoded
// elements.
func encArr(elem uint32, n uint64, elems ...[]byte) []byte {
	b := append(le32(elem), le64(n)...)
	for _, e := range elems {
		b = append(b, e...)
	}
	return b
}

func kvU32(key string, v uint32) testKV { return testKV{key, uint32(TypeUint32), le32(v)} }
func kvStr(key, v string) testKV        { return testKV{key, uint32(TypeString), encStr(v)} }
func kvF32(key string, v float32) testKV {
	return testKV{key, uint32(TypeFloat32), le32(math.Float32bits(v))}
}
func kvArr(key string, raw []byte) testKV           { return testKV{key, uint32(TypeArray), raw} }
func kvRaw(key string, t uint32, raw []byte) testKV { return testKV{key, t, raw} }

// f32Tensor is an F32 tensor of the given dims whose data counts up.
func f32Tensor(name string, dims ...uint64) testTensor {
	n := uint64(1)
	for _, d := range dims {
		n *= d
	}
	data := make([]byte, 0, 4*n)
	for i := range n {
		data = binary.LittleEndian.AppendUint32(data, math.Float32bits(float32(i)))
	}
	return testTensor{name: name, typ: 0, dims: dims, data: data}
}

// withKVs is a file holding only the given metadata.
func withKVs(kvs ...testKV) testSpec { return testSpec{kvs: kvs} }

// withTensors is a file holding only the given tensors.
func withTensors(ts ...testTensor) testSpec { return testSpec{tensors: ts} }

// build encodes s.
func (s testSpec) build() []byte {
	var b bytes.Buffer
	m := s.magic
	if m == "" {
		m = "GGUF"
	}
	b.WriteString(m)
	v := s.version
	if v == 0 {
		v = 3
	}
	b.Write(le32(v))
	nt, nkv := uint64(len(s.tensors)), uint64(len(s.kvs))
	if s.nTensors != nil {
		nt = *s.nTensors
	}
	if s.nKV != nil {
		nkv = *s.nKV
	}
	b.Write(le64(nt))
	b.Write(le64(nkv))
	for _, kv := range s.kvs {
		b.Write(encStr(kv.key))
		b.Write(le32(kv.typ))
		b.Write(kv.raw)
	}
	align := s.alignment
	if align == 0 {
		align = 32
	}
	pad := func(n int64) int64 { return (n + align - 1) / align * align }
	var next int64
	offsets := make([]int64, len(s.tensors))
	for i, t := range s.tensors {
		b.Write(encStr(t.name))
		nd := uint32(len(t.dims))
		if t.nDims != nil {
			nd = *t.nDims
		}
		b.Write(le32(nd))
		for _, d := range t.dims {
			b.Write(le64(d))
		}
		b.Write(le32(t.typ))
		off := uint64(next)
		if t.offset != nil {
			off = *t.offset
		}
		offsets[i] = int64(off)
		b.Write(le64(off))
		next = pad(next + int64(len(t.data)))
	}
	if len(s.tensors) > 0 {
		start := pad(int64(b.Len()))
		out := make([]byte, start+next)
		copy(out, b.Bytes())
		for i, t := range s.tensors {
			if o := start + offsets[i]; o >= 0 && o+int64(len(t.data)) <= int64(len(out)) {
				copy(out[o:], t.data)
			}
		}
		return out[:max(0, len(out)-s.truncate)]
	}
	out := b.Bytes()
	return out[:max(0, len(out)-s.truncate)]
}

// writeTemp writes data to a file in a fresh temporary folder and returns
// its path.
func writeTemp(t testing.TB, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "m.gguf")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
