//go:build !cgo

package modeltest

import (
	"errors"
	"os"
	"testing"

	"github.com/kiln-ml/kiln/ir/interp"
)

// Without cgo there is no ONNX Runtime: live comparisons skip, or fail when
// KILN_REQUIRE_ORT=1.
func ortAvailable(t testing.TB) bool {
	t.Helper()
	if os.Getenv("KILN_REQUIRE_ORT") == "1" {
		t.Fatal("KILN_REQUIRE_ORT=1, but this test binary was built without cgo, which ONNX Runtime needs")
	}
	t.Skip("built without cgo: no ONNX Runtime")
	return false
}

func ortInit(testing.TB) error { return errors.New("built without cgo: no ONNX Runtime") }

type ortSession struct{ inputs, outputNames []string }

func newORTSession(t testing.TB, model string) *ortSession { t.Helper(); return nil }

func (s *ortSession) run(map[string]*interp.Tensor) (map[string]*interp.Tensor, error) {
	panic("unreachable: ortAvailable skipped")
}

func tryORTSession(string) (*ortSession, error) {
	return nil, errors.New("built without cgo: no ONNX Runtime")
}
