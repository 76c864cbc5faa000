package tensor

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kiln-ml/kiln/ir"
)

// npyBytes builds a .npy file by hand: version, header dict text and data.
func npyBytes(version int, header string, data []byte) []byte {
	b := append([]byte(npyMagic), byte(version), 0)
	header += "\n"
	if version == 1 {
		b = binary.LittleEndian.AppendUint16(b, uint16(len(header)))
	} else {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(header)))
	}
	return append(append(b, header...), data...)
}

func utf32(order binary.ByteOrder, width int, ss ...string) []byte {
	var b []byte
	for _, s := range ss {
		e := make([]byte, 4*width)
		j := 0
		for _, c := range s {
			order.PutUint32(e[j:], uint32(c))
			j += 4
		}
		b = append(b, e...)
	}
	return b
}

func TestReadNPY(t *testing.T) {
	le, be := binary.LittleEndian, binary.BigEndian
	i32 := func(o binary.ByteOrder, vs ...int32) []byte {
		b := make([]byte, 4*len(vs))
		for i, v := range vs {
			o.PutUint32(b[4*i:], uint32(v))
		}
		return b
	}
	for _, tc := range []struct {
		name string
		file []byte
		want *Tensor
	}{
		{"v1 f4", npyBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", i32(le, 0x3f800000, 0x40000000)), FromSlice([]int{2}, []float32{1, 2})},
		{"v2 big-endian i4", npyBytes(2, "{'descr': '>i4', 'fortran_order': False, 'shape': (1, 2), }", i32(be, -1, 7)), FromSlice([]int{1, 2}, []int32{-1, 7})},
		{"v3 utf8 header", npyBytes(3, "{'descr': '<i4', 'fortran_order': False, 'shape': (1,), }", i32(le, 3)), FromSlice([]int{1}, []int32{3})},
		{"0-d", npyBytes(1, "{'descr': '<i8', 'fortran_order': False, 'shape': (), }", le.AppendUint64(nil, 42)), Scalar(int64(42))},
		{"zero-size", npyBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 4, 0, 8), }", nil), FromSlice([]int{1, 4, 0, 8}, []float32{})},
		{"big-endian f8", npyBytes(1, "{'descr': '>f8', 'fortran_order': False, 'shape': (1,), }", []byte{0x40, 0, 0, 0, 0, 0, 0, 0}), FromSlice([]int{1}, []float64{2})},
		{"big-endian c8", npyBytes(1, "{'descr': '>c8', 'fortran_order': False, 'shape': (1,), }", i32(be, 0x3f800000, 0x40000000)), FromSlice([]int{1}, []complex64{1 + 2i})},
		{"big-endian f2", npyBytes(1, "{'descr': '>f2', 'fortran_order': False, 'shape': (1,), }", []byte{0x3c, 0x00}), FromSlice([]int{1}, []ir.Float16{0x3c00})},
		{"b1", npyBytes(1, "{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", []byte{1, 0, 1}), FromSlice([]int{3}, []bool{true, false, true})},
		{"u2 key order", npyBytes(1, "{'shape': (1,), 'fortran_order': False, 'descr': '<u2'}", []byte{1, 2}), FromSlice([]int{1}, []uint16{0x201})},
		{"py2 long dims", npyBytes(1, "{'descr': '|u1', 'fortran_order': False, 'shape': (2L,), }", []byte{1, 2}), FromSlice([]int{2}, []uint8{1, 2})},
		{"<U", npyBytes(1, "{'descr': '<U3', 'fortran_order': False, 'shape': (2,), }", utf32(le, 3, "ab", "xyé")), FromSlice([]int{2}, []string{"ab", "xyé"})},
		{">U", npyBytes(1, "{'descr': '>U2', 'fortran_order': False, 'shape': (1,), }", utf32(be, 2, "hi")), FromSlice([]int{1}, []string{"hi"})},
		{"|S", npyBytes(1, "{'descr': '|S3', 'fortran_order': False, 'shape': (2,), }", []byte("ab\x00xyz")), FromSlice([]int{2}, []string{"ab", "xyz"})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadNPY(bytes.NewReader(tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if got.DType != tc.want.DType || !reflect.DeepEqual(got.Shape, tc.want.Shape) || !reflect.DeepEqual(got.Data, tc.want.Data) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestReadNPYErrors(t *testing.T) {
	good := npyBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", make([]byte, 8))
	for _, tc := range []struct {
		name string
		file []byte
		want string
	}{
		{"empty", nil, "reading magic: unexpected EOF"},
		{"bad magic", []byte("\x93NUMPZ\x01\x00\x00\x00"), "bad magic"},
		{"version", []byte("\x93NUMPY\x04\x00\x00\x00"), "unsupported format version 4.0"},
		{"truncated length", good[:9], "reading header length"},
		{"truncated header", good[:30], "header of 58 bytes is truncated"},
		{"truncated data", good[:len(good)-1], "data truncated: 7 of 8 bytes"},
		{"fortran", npyBytes(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", make([]byte, 8)), "fortran_order True"},
		{"huge shape", npyBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000, 1000000000, 1000000000), }", nil), "too many elements"},
		{"huge shape fits", npyBytes(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (4000000000,), }", make([]byte, 16)), "data truncated: 16 of 32000000000 bytes"},
		{"negative dim", npyBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", nil), "negative dim"},
		{"unknown dtype", npyBytes(1, "{'descr': '<f3', 'fortran_order': False, 'shape': (1,), }", nil), `unsupported dtype "<f3"`},
		{"object dtype", npyBytes(1, "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", nil), "bad descr"},
		{"structured", npyBytes(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", nil), "descr"},
		{"missing shape", npyBytes(1, "{'descr': '<f4', 'fortran_order': False}", nil), "shape is missing"},
		{"extra key", npyBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}", nil), `unexpected key "x"`},
		{"garbage", npyBytes(1, "{'descr': '<f4', 'fortran_order': Maybe}", nil), "malformed"},
		{"trailing", npyBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), } x", nil), "after the dict"},
		{"huge v2 header", append([]byte(npyMagic+"\x02\x00"), 0xff, 0xff, 0xff, 0x7f), "too large"},
		{"zero-width U", npyBytes(1, "{'descr': '<U0', 'fortran_order': False, 'shape': (1000000000000,), }", nil), "zero-width"},
		{"bad code point", npyBytes(1, "{'descr': '<U1', 'fortran_order': False, 'shape': (1,), }", []byte{0, 0, 0x11, 0}), "invalid code point"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadNPY(bytes.NewReader(tc.file))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
	// A header that declares fewer elements than the file holds.
	p := filepath.Join(t.TempDir(), "lie.npy")
	os.WriteFile(p, append(good, 0, 0, 0, 0), 0o644)
	if _, err := ReadNPYFile(p); err == nil || !strings.Contains(err.Error(), "4 bytes after the array's data") {
		t.Fatalf("error %v", err)
	}
}

func ones(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = 1
	}
	return s
}

func TestNPYRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for i, x := range []*Tensor{
		FromSlice([]int{2, 3}, []float32{1, 2, 3, 4, 5, 6}),
		Scalar(int64(-5)),
		FromSlice([]int{1, 4, 0, 8}, []float32{}),
		FromSlice([]int{2}, []ir.Float16{1, 2}),
		FromSlice([]int{2}, []complex128{1 + 2i, 3}),
		FromSlice([]int{3}, []bool{true, false, true}),
		FromSlice([]int{2}, []int8{-1, 1}),
		FromSlice([]int{2}, []uint64{1, 1 << 63}),
		FromSlice([]int{2}, []string{"héllo", ""}),
		FromSlice([]int{2}, []string{"\xff\x00a", "ok"}), // not UTF-8: written as |S
		FromSlice(ones(40), []float64{3}),                // a header over 64 bytes
	} {
		p := filepath.Join(dir, fmt.Sprintf("%d.npy", i))
		if err := WriteNPYFile(p, x); err != nil {
			t.Fatal(err)
		}
		y, err := ReadNPYFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if y.DType != x.DType || !reflect.DeepEqual(y.Shape, x.Shape) || !reflect.DeepEqual(y.Data, x.Data) {
			t.Fatalf("%v: read back %v", x, y)
		}
		b, _ := os.ReadFile(p)
		hl := int(binary.LittleEndian.Uint16(b[8:]))
		if (10+hl)%64 != 0 || b[10+hl-1] != '\n' {
			t.Fatalf("%v: header of %d bytes is not padded to 64", x, hl)
		}
	}
	if err := WriteNPY(&bytes.Buffer{}, FromSlice([]int{1}, []ir.BFloat16{1})); err == nil {
		t.Fatal("bf16 written")
	}
}

// TestNPYReference reads every .npy of the shared ONNX Runtime reference
// results and writes each back byte for byte.
func TestNPYReference(t *testing.T) {
	var files []string
	filepath.Walk(filepath.Join("..", "..", "..", "shared", "models", "reference", "onnx"), func(p string, info os.FileInfo, err error) error {
		if err == nil && strings.HasSuffix(p, ".npy") {
			files = append(files, p)
		}
		return nil
	})
	if len(files) == 0 {
		t.Skip("no shared reference data")
	}
	zeroSize := 0
	for _, p := range files {
		x, err := ReadNPYFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if x.Len() == 0 {
			zeroSize++
		}
		var buf bytes.Buffer
		if err := WriteNPY(&buf, x); err != nil {
			t.Fatal(err)
		}
		want, _ := os.ReadFile(p)
		if !bytes.Equal(buf.Bytes(), want) {
			t.Errorf("%s: written back differently", p)
		}
	}
	t.Logf("%d files (%d zero-size) read and written back identically", len(files), zeroSize)
}

var updateNPYSeeds = flag.Bool("update-npy-seeds", false, "rewrite the seeds in testdata/fuzz/FuzzReadNPY")

func npySeeds() map[string][]byte {
	le := binary.LittleEndian
	return map[string][]byte{
		"f4":        npyBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", make([]byte, 8)),
		"be-c16":    npyBytes(2, "{'descr': '>c16', 'fortran_order': False, 'shape': (1, 1), }", make([]byte, 16)),
		"zero-size": npyBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 4, 0, 8), }", nil),
		"scalar":    npyBytes(3, "{'descr': '<i8', 'fortran_order': False, 'shape': (), }", le.AppendUint64(nil, 1)),
		"U":         npyBytes(1, "{'descr': '<U2', 'fortran_order': False, 'shape': (1,), }", utf32(le, 2, "ok")),
		"S":         npyBytes(1, "{'descr': '|S2', 'fortran_order': False, 'shape': (2,), }", []byte("okno")),
	}
}

func TestWriteNPYSeeds(t *testing.T) {
	if !*updateNPYSeeds {
		t.Skip("run with -update-npy-seeds to rewrite the seeds")
	}
	for name, b := range npySeeds() {
		s := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
		if err := os.WriteFile(filepath.Join("testdata", "fuzz", "FuzzReadNPY", "seed-"+name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// FuzzReadNPY checks that ReadNPY never panics and that whatever it reads
// writes back and reads again to the same tensor.
func FuzzReadNPY(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := ReadNPY(bytes.NewReader(b))
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := WriteNPY(&buf, x); err != nil {
			t.Fatal(err)
		}
		y, err := ReadNPY(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if y.DType != x.DType || !reflect.DeepEqual(y.Shape, x.Shape) || fmt.Sprint(y.Data) != fmt.Sprint(x.Data) {
			t.Fatalf("round trip: %v became %v", x, y)
		}
	})
}
