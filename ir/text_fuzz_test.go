package ir_test

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-ml/kiln/frontend/onnx"
	"github.com/kiln-ml/kiln/internal/testenv"
	"github.com/kiln-ml/kiln/ir"
)

// FuzzParse checks that Parse never panics or hangs, and that whatever it
// accepts prints to text that parses back to the same text. Seeds: the
// handcrafted texts in testdata/fuzz/FuzzParse, plus the printed form of
// every shared model that imports (their large constants in data files in
// a temporary folder the fuzzed texts may refer to).
func FuzzParse(f *testing.F) {
	dir := f.TempDir()
	// A small data file so that file(...) references can parse.
	data := make([]byte, 96)
	for i := range data {
		data[i] = byte(i)
	}
	if err := os.WriteFile(filepath.Join(dir, "seed.bin"), data, 0o644); err != nil {
		f.Fatal(err)
	}
	sum := sha256.Sum256(data[32:96])
	f.Add([]byte(fmt.Sprintf(`const @w : u8[4,16] = file("seed.bin", offset=32, length=64, sha256="%x")
func @main(%%0 "x": u8[4,16]) -> ("y": u8[4,16]) {
  %%1 = Add(%%0, @w) : u8[4,16]
  return %%1
}
`, sum)))
	// The narrow types: every spelling their constants have.
	f.Add([]byte(`const @a : f8e4m3fn[5] = [448, -0, nan, nan(0xff), 0.001953125]
const @b : f8e5m2[4] = [inf, -inf, nan(0x7d), 57344]
const @c : f8e4m3fnuz[2] = [nan, -240]
const @d : f8e5m2fnuz[] = 0.5
const @e : i4[3] = [-8, 7, 0]
const @g : u4[2,2] = [15, 0, 1, 2]
const @h : f4e2m1[3] = [6, -0.5, 0]
func @main(%0 "x": f8e4m3fn[5]) -> ("y": f32[5], "z": i4[3]) {
  %1 = Cast(%0) {to=f32, saturate=0} : f32[5]
  %2 = Identity(@e) : i4[3]
  return %1, %2
}
`))
	for _, path := range testenv.SharedONNXModels() {
		m, err := onnx.Import(path)
		if err != nil {
			continue
		}
		name := strings.TrimSuffix(filepath.Base(path), ".onnx")
		if err := ir.WriteDataFile(m, filepath.Join(dir, name+".bin")); err != nil {
			f.Fatal(err)
		}
		f.Add([]byte(printed(f, m, ir.PrintOptions{BaseDir: dir})))
		m.Close()
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		opts := ir.PrintOptions{BaseDir: dir}
		m, err := ir.Parse("fuzz.kir", src, ir.ParseOptions{BaseDir: dir})
		if err != nil {
			return
		}
		defer m.Close()
		text := printed(t, m, opts)
		m2, err := ir.Parse("printed.kir", []byte(text), ir.ParseOptions{BaseDir: dir})
		if err != nil {
			t.Fatalf("printed form does not parse: %v\n%s", err, text)
		}
		defer m2.Close()
		if text2 := printed(t, m2, opts); text2 != text {
			t.Fatalf("printed form does not round-trip:\n%s", firstDiff(text, text2))
		}
	})
}
