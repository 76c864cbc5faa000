package codegen

import (
	"strings"
	"testing"
)

// TestParallelMin keeps codegen's parallelMin equal to the kernel
// library's, so codegen splits exactly the kernels parallelFor would.
func TestParallelMin(t *testing.T) {
	if !strings.Contains(parallelSource, "const parallelMin = 1 << 15") || parallelMin != 1<<15 {
		t.Fatalf("parallelMin is %d here; kernels/parallel.go must declare the same (const parallelMin = 1 << 15)", parallelMin)
	}
}
