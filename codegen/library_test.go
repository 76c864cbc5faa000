package codegen

import (
	"strings"
	"testing"

	"github.com/kiln-ml/kiln/codegen/llmrt"
)

// TestParallelMin keeps codegen's parallelMin equal to the kernel
// library's, so codegen splits exactly the kernels parallelFor would.
func TestParallelMin(t *testing.T) {
	if !strings.Contains(parallelSource, "const parallelMin = 1 << 15") || parallelMin != 1<<15 {
		t.Fatalf("parallelMin is %d here; kernels/parallel.go must declare the same (const parallelMin = 1 << 15)", parallelMin)
	}
}

// TestPoolSourcesMatch keeps the compiled language models' helper
// goroutines (codegen/llmrt/workers.go) the same text as the ONNX
// packages' (kernels/parallel.go), from the comment that opens them to
// the end of the file: two copies, since neither runtime imports the
// other, kept as one.
func TestPoolSourcesMatch(t *testing.T) {
	const start = "// The package's helper goroutines run the parts of parallel jobs beside"
	pool := func(name, src string) string {
		i := strings.Index(src, start)
		if i < 0 {
			t.Fatalf("%s lacks the helper goroutines' opening comment %q", name, start)
		}
		return src[i:]
	}
	a, b := pool("kernels/parallel.go", parallelSource), pool("llmrt/workers.go", llmrt.Common["workers.go"])
	if a != b {
		la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
		for i := range min(len(la), len(lb)) {
			if la[i] != lb[i] {
				t.Fatalf("the helper goroutines differ at line %d of their text: kernels/parallel.go has %q, llmrt/workers.go %q", i+1, la[i], lb[i])
			}
		}
		t.Fatalf("the helper goroutines differ in length: %d lines in kernels/parallel.go, %d in llmrt/workers.go", len(la), len(lb))
	}
}
