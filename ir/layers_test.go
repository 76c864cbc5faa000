package ir_test

import (
	"go/build"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kiln-ml/kiln/internal/testenv"
)

const modulePath = "github.com/kiln-ml/kiln"

// kilnDeps returns the kiln packages pkg imports, directly or not, from its
// non-test files (what `go list -deps` shows of kiln, without pkg itself).
func kilnDeps(t *testing.T, root, pkg string) []string {
	t.Helper()
	seen := map[string]bool{}
	var visit func(p string)
	visit = func(p string) {
		dir := filepath.Join(root, filepath.FromSlash(strings.TrimPrefix(p, modulePath)))
		bp, err := build.ImportDir(dir, 0)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		for _, imp := range bp.Imports {
			if (imp == modulePath || strings.HasPrefix(imp, modulePath+"/")) && !seen[imp] {
				seen[imp] = true
				visit(imp)
			}
		}
	}
	visit(pkg)
	var out []string
	for p := range seen {
		out = append(out, strings.TrimPrefix(p, modulePath+"/"))
	}
	slices.Sort(out)
	return out
}

// TestLayers checks the import rules the package docs state: lower layers
// never import higher ones.
func TestLayers(t *testing.T) {
	root, ok := testenv.RepoRoot()
	if !ok {
		t.Skip("no go.mod above the test's folder")
	}
	tests := []struct {
		pkg     string
		allowed []string // every kiln package pkg may depend on
	}{
		// internal/safefile (regular-file opens and atomic writes) and
		// internal/suggest (did-you-mean hints) are standard-library-only
		// leaves that every layer may use.
		{"internal/safefile", nil},
		{"internal/suggest", nil},
		{"ir", []string{"internal/safefile", "internal/suggest"}},
		{"ir/tensor", []string{"ir", "internal/safefile", "internal/suggest"}},
		// ir/quant (ggml's block formats) sits beside ir/tensor: the
		// interpreter's Cast decodes blocks through it.
		{"ir/quant", []string{"ir", "internal/safefile", "internal/suggest"}},
		{"ir/interp", []string{"ir", "ir/tensor", "ir/quant", "internal/safefile", "internal/suggest"}},
		{"frontend/onnx", []string{"frontend/onnx/onnxpb", "ir", "ir/tensor", "internal/safefile", "internal/suggest"}},
	}
	for _, tc := range tests {
		for _, dep := range kilnDeps(t, root, modulePath+"/"+tc.pkg) {
			if !slices.Contains(tc.allowed, dep) {
				t.Errorf("%s depends on %s; it may depend only on %v", tc.pkg, dep, tc.allowed)
			}
		}
	}
}
