package ir_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-ml/kiln/frontend/onnx"
	"github.com/kiln-ml/kiln/ir"
)

// FuzzParse checks that Parse never panics or hangs, and that whatever it
// accepts prints to text that parses back to the same text. Seeds: the
// handcrafted texts in testdata/fuzz/FuzzParse, plus the printed form of
// every shared model that imports (their large constants in data files in
// a temporary folder the fuzzed texts may refer to).
func FuzzParse(f *testing.F) {
	dir := f.TempDir()
	for _, path := range sharedModels() {
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
