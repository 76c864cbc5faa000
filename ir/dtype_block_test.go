package ir

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBlockDTypes checks the block types' table entries: names as ggml's
// in lower case, block sizes as ggml-common.h gives them, no one-element
// size, and ByteSize counting whole blocks.
func TestBlockDTypes(t *testing.T) {
	want := []struct {
		d          DType
		name       string
		len, bytes int
	}{
		{Q4_0, "q4_0", 32, 18}, {Q4_1, "q4_1", 32, 20}, {Q5_0, "q5_0", 32, 22}, {Q5_1, "q5_1", 32, 24},
		{Q8_0, "q8_0", 32, 34}, {Q2_K, "q2_k", 256, 84}, {Q3_K, "q3_k", 256, 110}, {Q4_K, "q4_k", 256, 144},
		{Q5_K, "q5_k", 256, 176}, {Q6_K, "q6_k", 256, 210}, {IQ4_NL, "iq4_nl", 32, 18}, {IQ4_XS, "iq4_xs", 256, 136},
	}
	blocks := 0
	for _, d := range DTypes() {
		if d.IsBlock() {
			blocks++
		}
	}
	if blocks != len(want) {
		t.Errorf("%d block types, want %d", blocks, len(want))
	}
	for _, w := range want {
		i := w.d.Info()
		if w.d.String() != w.name || i.BlockLen != w.len || i.BlockBytes != w.bytes || !w.d.IsBlock() || w.d.Size() != 0 || i.Float || i.Int {
			t.Errorf("%v: %+v", w.d, i)
		}
		if d, ok := ParseDType(w.name); !ok || d != w.d {
			t.Errorf("ParseDType(%q) = %v, %v", w.name, d, ok)
		}
		if n, err := w.d.ByteSize(int64(3 * w.len)); err != nil || n != int64(3*w.bytes) {
			t.Errorf("%v: ByteSize(3 blocks) = %d, %v", w.d, n, err)
		}
		if _, err := w.d.ByteSize(int64(w.len + 1)); err == nil {
			t.Errorf("%v: ByteSize of a partial block accepted", w.d)
		}
		if _, err := DecodeElems(w.d, make([]byte, w.bytes)); err == nil {
			t.Errorf("%v: DecodeElems accepted block bytes", w.d)
		}
	}
	for _, d := range []DType{F32, F16, BF16, I8, Bool, String} {
		if d.IsBlock() {
			t.Errorf("%v is a block type", d)
		}
	}
	// A symbolic innermost dim bounds a row to 40 elements: 80 in all,
	// which take three q4_0 blocks counted whole.
	m := NewModule()
	m.Syms = []SymBound{{Name: "n", Min: 1, Max: 40}}
	if n, ok := m.MaxBytes(TensorType(Q4_0, Shape{Ranked: true, Dims: []Dim{Static(2), Symbolic("n")}})); !ok || n != 3*18 {
		t.Errorf("MaxBytes(q4_0[2,n]) = %d, %v; want %d", n, ok, 3*18)
	}
}

// TestBlockText round-trips block types through the text form: value
// types, constants spelled as raw block bytes, and constants in a data
// file, which always print as file references.
func TestBlockText(t *testing.T) {
	blk := make([]string, 2*18)
	for i := range blk {
		blk[i] = "0"
	}
	blk[1], blk[19] = "60", "56" // f16 scales 1 and 0.5
	src := "// kiln IR\n\nconst @w : q4_0[2,32] = [" + strings.Join(blk, ", ") + "]\n\n" +
		"func @main(%x: q4_k[3,256], %y: iq4_xs[seq,512]) -> (\"x\": q4_k[3,256], \"y\": iq4_xs[seq,512]) {\n" +
		"  return %x, %y\n}\n"
	m, err := Parse("b.kir", []byte(src), ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := m.String(); got != src {
		t.Fatalf("round trip:\n%s\nwant:\n%s", got, src)
	}
	w := m.Consts[0]
	if w.Type.DType != Q4_0 || len(w.Const.Bytes) != 36 || w.Const.Bytes[1] != 60 || w.Const.Bytes[19] != 56 {
		t.Fatalf("constant %v: % x", w.Type, w.Const.Bytes)
	}

	// In a data file, even this two-block constant prints as a reference,
	// whatever the inline limit.
	dir := t.TempDir()
	data := filepath.Join(dir, "b.data")
	if err := WriteDataFile(m, data); err != nil {
		t.Fatal(err)
	}
	for _, limit := range []int{0, -1, 1000} {
		var b bytes.Buffer
		if err := Print(&b, m, PrintOptions{BaseDir: dir, InlineLimit: limit}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), `const @w : q4_0[2,32] = file("b.data", offset=0, length=36, sha256=`) {
			t.Fatalf("inline limit %d:\n%s", limit, b.String())
		}
		m2, err := Parse("b.kir", b.Bytes(), ParseOptions{BaseDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(m2.Consts[0].Const.Bytes, w.Const.Bytes) {
			t.Fatalf("bytes changed through the data file")
		}
		m2.Close()
	}
	if st, err := os.Stat(data); err != nil || st.Size() != 36 {
		t.Fatalf("data file: %v %v", st, err)
	}
}

// TestBlockTextErrors: shapes that are not whole blocks, payloads of the
// wrong size and scalar spellings are refused with the reason.
func TestBlockTextErrors(t *testing.T) {
	bytesOf := func(n int) string { return "[" + strings.TrimSuffix(strings.Repeat("1, ", n), ", ") + "]" }
	for _, c := range []struct{ src, want string }{
		{"const @w : q4_0[16,2] = " + bytesOf(18), "innermost dim 2 is not a whole number of 32-element q4_0 blocks"},
		{"const @w : q4_0[40] = " + bytesOf(18), "are not a whole number of 32-element blocks"},
		{"const @w : q4_0[32] = " + bytesOf(2), "2 bytes for q4_0[32] (18 bytes of blocks)"},
		{"const @w : q6_k[256] = " + bytesOf(211), "211 bytes for q6_k[256] (210 bytes of blocks)"},
		{"const @w : q8_0[] = 3", "a q8_0 constant is a list of its block bytes or a file(...) reference"},
		{"func @main(%x: q4_k[3,200]) -> (\"x\": q4_k[3,200]) {\n  return %x\n}", "innermost dim 200 is not a whole number of 256-element q4_k blocks"},
		{"func @main(%x: q4_0[]) -> (\"x\": q4_0[]) {\n  return %x\n}", "a q4_0 scalar is less than one 32-element block"},
		{"func @main(%x: q4_0[2,32]) -> (\"y\": q4_0[2,32]) {\n  %y = Relu(%x) : q4_0[2,32]\n  return %y\n}", "operand 0 (X) is q4_0[2,32]"},
	} {
		_, err := Parse("e.kir", []byte("// kiln IR\n\n"+c.src+"\n"), ParseOptions{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s:\ngot  %v\nwant %q", c.src, err, c.want)
		}
	}
	// Unknown innermost dims pass until they are known.
	if _, err := Parse("e.kir", []byte("// kiln IR\n\nfunc @main(%x: q4_k[3,?], %y: q4_0[*]) -> (\"x\": q4_k[3,?]) {\n  return %x\n}\n"), ParseOptions{}); err != nil {
		t.Error(err)
	}
}
