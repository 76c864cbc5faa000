package passes

import (
	"testing"

	"github.com/kiln-ml/kiln/frontend/onnx"
	"github.com/kiln-ml/kiln/internal/testenv"
)

// BenchmarkFuse times the fuse pass alone, after the passes before it, on
// the shared models with the most rewrites.
func BenchmarkFuse(b *testing.B) {
	for _, name := range []string{"minilm-like-opset14", "paddleocr-rec", "stories260K-decoder"} {
		b.Run(name, func(b *testing.B) { benchFuse(b, name+".onnx") })
	}
}

func benchFuse(b *testing.B, name string) {
	path := testenv.SharedONNXModel(b, name)
	m, err := onnx.Import(path)
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	pre, err := ParsePipeline("noop,fold,cse", nil)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := Run(m, pre, Instrument{}); err != nil {
		b.Fatal(err)
	}
	fuse, _ := Lookup("fuse")
	for b.Loop() {
		mm := m.Clone()
		if _, err := Run(mm, []*Pass{fuse}, Instrument{}); err != nil {
			b.Fatal(err)
		}
	}
}
