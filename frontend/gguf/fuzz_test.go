package gguf

import (
	"encoding/binary"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/kiln-ml/kiln/ir/quant"
)

// FuzzOpen feeds arbitrary bytes, written to a file, to Open: it must
// return a File or an error, never panic, hang or allocate without bound,
// and a File it returns must keep its promises: every tensor's data lies
// inside the file at an aligned offset, overlaps no other tensor's and
// has the size its type and dims give; every key is found. Parse must
// agree with Open. Seeds: testdata/fuzz/FuzzOpen (small handcrafted
// files, rewritten with -update-fuzz-seeds) and the shared stories260K
// files cut down (sharedHeaderSeed).
func FuzzOpen(f *testing.F) {
	for _, p := range sharedGGUFs(f) {
		if b := sharedHeaderSeed(p); b != nil {
			f.Add(b)
		}
	}
	path := filepath.Join(f.TempDir(), "fuzz.gguf")
	// One file rewritten in place: creating and truncating a file per
	// input costs a millisecond on some file systems, a write and a
	// truncate to the new length microseconds.
	w, err := os.Create(path)
	if err != nil {
		f.Fatal(err)
	}
	defer w.Close()
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := w.WriteAt(data, 0); err != nil {
			t.Fatal(err)
		}
		if err := w.Truncate(int64(len(data))); err != nil {
			t.Fatal(err)
		}
		g, err := Open(path)
		p, perr := Parse(data)
		if (err == nil) != (perr == nil) {
			t.Fatalf("Open: %v; Parse: %v", err, perr)
		}
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("Open: %T %v is not a *gguf.Error", err, err)
			}
			return
		}
		defer g.Close()
		if len(p.KV) != len(g.KV) || len(p.Tensors) != len(g.Tensors) || p.DataOffset != g.DataOffset {
			t.Fatalf("Parse and Open disagree")
		}
		checkFile(t, g, data)
	})
}

// checkFile checks what Open promises about a File read from data.
func checkFile(t *testing.T, g *File, data []byte) {
	for i, kv := range g.KV {
		v, ok := g.Value(kv.Key)
		if !ok || v.Type() != kv.Value.Type() {
			t.Fatalf("key %d %q: not found again", i, kv.Key)
		}
		_ = v.Summary(3)
		_, _ = v.Ints()
	}
	if g.Alignment < 8 || g.Alignment&(g.Alignment-1) != 0 || g.DataOffset%g.Alignment != 0 {
		t.Fatalf("alignment %d, data at %d", g.Alignment, g.DataOffset)
	}
	type span struct{ start, end int64 }
	var spans []span
	for i := range g.Tensors {
		ti := &g.Tensors[i]
		info, ok := quant.Info(ti.Type)
		if !ok || len(ti.Dims) > MaxDims || ti.Offset%g.Alignment != 0 {
			t.Fatalf("tensor %d: %+v", i, *ti)
		}
		if want := ti.Elements() / int64(info.BlockLen) * int64(info.BlockBytes); ti.Bytes != want {
			t.Fatalf("tensor %d: %d bytes, want %d", i, ti.Bytes, want)
		}
		b, err := g.TensorData(ti)
		if err != nil || int64(len(b)) != ti.Bytes {
			t.Fatalf("tensor %d: TensorData: %d bytes, %v", i, len(b), err)
		}
		if ti.Bytes > 0 {
			if b[0] != data[g.DataOffset+ti.Offset] {
				t.Fatalf("tensor %d: TensorData is not the file's bytes", i)
			}
			spans = append(spans, span{ti.Offset, ti.Offset + ti.Bytes})
		}
		if got, ok := g.Tensor(ti.Name); !ok || got != ti {
			t.Fatalf("tensor %d %q: not found by name", i, ti.Name)
		}
	}
	for i, a := range spans {
		for _, b := range spans[i+1:] {
			if a.start < b.end && b.start < a.end {
				t.Fatalf("tensor data [%d, %d) and [%d, %d) overlap", a.start, a.end, b.start, b.end)
			}
		}
	}
}

// sharedHeaderSeed returns a seed made from a shared stories260K file:
// its metadata, with every array cut to its first 4 items, and two of its
// small tensors (norms), with their real names, types and dims, and zero
// bytes.
// A small seed keeps the real keys and layout without making the fuzzer
// mutate and minimize kilobytes of vocabulary and weights. It returns nil
// for other files.
func sharedHeaderSeed(path string) []byte {
	if m, _ := filepath.Match("stories260K-*.gguf", filepath.Base(path)); !m {
		return nil
	}
	g, err := Open(path)
	if err != nil {
		return nil
	}
	defer g.Close()
	var s testSpec
	for _, kv := range g.KV {
		s.kvs = append(s.kvs, testKV{kv.Key, uint32(kv.Value.Type()), encodeValue(kv.Value, 4)})
	}
	for _, ti := range g.Tensors {
		if ti.Bytes <= 512 && len(s.tensors) < 2 {
			s.tensors = append(s.tensors, testTensor{name: ti.Name, typ: uint32(ti.Type), dims: ti.Dims, data: make([]byte, ti.Bytes)})
		}
	}
	return s.build()
}

// encodeValue encodes v as GGUF stores it, arrays cut to their first max
// items.
func encodeValue(v Value, max int) []byte {
	if v.Type() != TypeArray {
		switch x := v.Interface().(type) {
		case string:
			return encStr(x)
		case bool:
			if x {
				return []byte{1}
			}
			return []byte{0}
		case uint8:
			return []byte{x}
		case int8:
			return []byte{byte(x)}
		case uint16:
			return binary.LittleEndian.AppendUint16(nil, x)
		case int16:
			return binary.LittleEndian.AppendUint16(nil, uint16(x))
		case uint32:
			return le32(x)
		case int32:
			return le32(uint32(x))
		case float32:
			return le32(math.Float32bits(x))
		case uint64:
			return le64(x)
		case int64:
			return le64(uint64(x))
		case float64:
			return le64(math.Float64bits(x))
		}
		panic(fmt.Sprintf("encodeValue: %T", v.Interface()))
	}
	n := min(v.Len(), max)
	elem, _ := v.Elem()
	var elems [][]byte
	for i := range n {
		e, _ := v.Index(i)
		elems = append(elems, encodeValue(e, max))
	}
	return encArr(uint32(elem), uint64(n), elems...)
}

var updateFuzzSeeds = flag.Bool("update-fuzz-seeds", false, "rewrite the handcrafted seeds in testdata/fuzz/FuzzOpen")

// fuzzSeeds are the handcrafted seeds: small files covering each value
// type, nesting, alignment, versions and tensor layouts.
func fuzzSeeds() map[string][]byte {
	v2 := goodSpec()
	v2.version = 2
	q4 := testTensor{name: "q", typ: uint32(quant.Q4_K), dims: []uint64{256, 2}, data: make([]byte, 2*144)}
	return map[string][]byte{
		"good":      goodSpec().build(),
		"version2":  v2.build(),
		"aligned64": testSpec{kvs: []testKV{kvU32("general.alignment", 64)}, tensors: []testTensor{f32Tensor("a", 3), f32Tensor("b", 1)}, alignment: 64}.build(),
		"nested":    withKVs(kvArr("k", nested(3)), kvArr("s", encArr(uint32(TypeString), 2, encStr("x"), encStr("yz")))).build(),
		"empty":     withTensors(testTensor{name: "e", dims: []uint64{0, 4}}, f32Tensor("s")).build(),
		"kquant":    withTensors(q4, f32Tensor("n", 256)).build(),
		"header":    testSpec{}.build(),
	}
}

func TestWriteFuzzSeeds(t *testing.T) {
	if !*updateFuzzSeeds {
		t.Skip("run with -update-fuzz-seeds to rewrite the seeds")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzOpen")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range fuzzSeeds() {
		s := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
		if err := os.WriteFile(filepath.Join(dir, "seed-"+name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestFuzzSeedsOpen checks that every handcrafted seed is a valid file,
// so the fuzzer starts from files that get past the header.
func TestFuzzSeedsOpen(t *testing.T) {
	for name, b := range fuzzSeeds() {
		if _, err := Parse(b); err != nil {
			t.Errorf("seed %s: %v", name, err)
		}
	}
}

// TestEncodeValue round-trips the good file's metadata through
// encodeValue, the seed builder's encoder.
func TestEncodeValue(t *testing.T) {
	f, err := Parse(goodSpec().build())
	if err != nil {
		t.Fatal(err)
	}
	var s testSpec
	for _, kv := range f.KV {
		s.kvs = append(s.kvs, testKV{kv.Key, uint32(kv.Value.Type()), encodeValue(kv.Value, 100)})
	}
	g, err := Parse(s.build())
	if err != nil {
		t.Fatal(err)
	}
	for i, kv := range g.KV {
		if kv.Key != f.KV[i].Key || kv.Value.String() != f.KV[i].Value.String() {
			t.Errorf("%s: %v, want %v", kv.Key, kv.Value, f.KV[i].Value)
		}
	}
}
