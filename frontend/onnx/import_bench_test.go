package onnx

import (
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/kiln-ml/kiln/frontend/onnx/onnxpb"
	"github.com/kiln-ml/kiln/internal/testenv"
)

func benchModel(b *testing.B) string {
	for _, p := range testenv.SharedONNXModels() {
		if filepath.Base(p) == "minilm-like-opset14.onnx" {
			return p
		}
	}
	b.Skip("no shared minilm-like-opset14.onnx")
	return ""
}

// BenchmarkImportConstants maps the model, decodes its skeleton and makes
// every constant (the part of Import that does not depend on the ops).
func BenchmarkImportConstants(b *testing.B) {
	path := benchModel(b)
	b.ReportAllocs()
	for b.Loop() {
		_, _, release, err := importConstants(path)
		if err != nil {
			b.Fatal(err)
		}
		release()
	}
}

// BenchmarkDecodeCopying is the baseline kiln's mapped import replaces:
// read the file and let the generated decoder copy every payload.
func BenchmarkDecodeCopying(b *testing.B) {
	path := benchModel(b)
	b.ReportAllocs()
	for b.Loop() {
		data, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		var mp onnxpb.ModelProto
		if err := proto.Unmarshal(data, &mp); err != nil {
			b.Fatal(err)
		}
	}
}
