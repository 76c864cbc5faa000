package codegen

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kiln-ml/kiln/ir/tensor"
)

// TestWeightsFileErrors runs the --weights file package of the ops module
// (mapped from the file on linux) on weights files that are missing,
// truncated, empty, one byte off, or not files: each is refused with an
// error naming the path and what differs, never a crash.
func TestWeightsFileErrors(t *testing.T) {
	if testing.Short() {
		t.Skip("builds generated packages with the Go toolchain")
	}
	h := buildHarness(t)
	good := filepath.Join(h.dir, "opsfile", WeightsFileName)
	blob, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	var man Manifest
	mj, err := os.ReadFile(filepath.Join(h.dir, "opsfile", "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(mj, &man); err != nil {
		t.Fatal(err)
	}
	if man.Weights.Mode != string(WeightsFile) || man.Weights.Bytes != int64(len(blob)) {
		t.Fatalf("manifest: weights mode %q, %d bytes; the file has %d", man.Weights.Mode, man.Weights.Bytes, len(blob))
	}
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o666); err != nil {
			t.Fatal(err)
		}
		return p
	}
	flipped := append([]byte(nil), blob...)
	flipped[len(flipped)/2] ^= 1
	sum := sha256.Sum256(flipped)
	cases := []struct {
		name string
		path string
		want []string
	}{
		{"missing", filepath.Join(dir, "missing.bin"), []string{"missing.bin", "no such file"}},
		{"truncated", write("truncated.bin", blob[:len(blob)-1]), []string{"truncated.bin", strconv.Itoa(len(blob)-1) + " bytes, want " + strconv.Itoa(len(blob))}},
		{"empty", write("empty.bin", nil), []string{"empty.bin", "0 bytes, want " + strconv.Itoa(len(blob))}},
		{"corrupt", write("corrupt.bin", flipped), []string{"corrupt.bin", "sha256 " + hex.EncodeToString(sum[:]), "want " + man.Weights.SHA256}},
		{"folder", dir, []string{dir, "not a regular file"}},
	}
	in := tensor.FromSlice([]int{2, 4, 9, 9}, make([]float32, 2*4*9*9))
	ids := tensor.FromSlice([]int{2, 3}, []int64{1, 2, 3, 4, 5, 6})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := h.runWeights("opsfile", []*tensor.Tensor{in, ids}, []string{"x", "ids"}, 1, c.path)
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), "panic") || strings.Contains(err.Error(), "SIG") {
				t.Fatalf("crashed: %v", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}
