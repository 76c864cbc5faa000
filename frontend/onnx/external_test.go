package onnx

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/kiln-ml/kiln/frontend/onnx/onnxpb"
	"github.com/kiln-ml/kiln/ir/interp"
)

func externalTensor(name string, kv ...string) *onnxpb.TensorProto {
	tp := &onnxpb.TensorProto{Name: proto.String(name), DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), Dims: []int64{2, 2},
		DataLocation: onnxpb.TensorProto_EXTERNAL.Enum()}
	for i := 0; i+1 < len(kv); i += 2 {
		tp.ExternalData = append(tp.ExternalData, &onnxpb.StringStringEntryProto{Key: proto.String(kv[i]), Value: proto.String(kv[i+1])})
	}
	return tp
}

// writeWeights writes 16 bytes of padding and then the four floats 1..4.
func writeWeights(t *testing.T, path string) {
	t.Helper()
	b := append(make([]byte, 16), f32Raw(1, 2, 3, 4)...)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestExternalData(t *testing.T) {
	dir := t.TempDir()
	writeWeights(t, filepath.Join(dir, "weights.bin"))
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeWeights(t, filepath.Join(dir, "sub", "w.bin"))
	for _, tc := range []struct {
		name string
		mp   *onnxpb.ModelProto
		file string
	}{
		{"initializer", addModel(externalTensor("w", "location", "weights.bin", "offset", "16", "length", "16")), "weights.bin"},
		{"no length", addModel(externalTensor("w", "location", "./sub/../weights.bin", "offset", "16")), "weights.bin"},
		{"subfolder", addModel(externalTensor("w", "location", "sub/w.bin", "offset", "16", "checksum", "ignored")), "sub/w.bin"},
		{"constant node", constModel(externalTensor("", "location", "weights.bin", "offset", "16")), "weights.bin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeModel(t, dir, "model.onnx", tc.mp)
			m, err := Import(path)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			var src string
			for _, c := range m.Consts {
				if s := c.Const.Source; s != nil {
					src = s.Path
					if s.Offset != 16 || s.Length != 16 {
						t.Errorf("Source %+v, want offset 16, length 16", *s)
					}
				}
			}
			if want := filepath.Join(dir, tc.file); src != want {
				t.Errorf("Source path %q, want %q", src, want)
			}
			x := interp.FromSlice([]int{2, 2}, []float32{10, 20, 30, 40})
			out, err := interp.New(m, interp.Options{}).Run("", []interp.Value{x})
			if err != nil {
				t.Fatal(err)
			}
			got := interp.Data[float32](out[0].(*interp.Tensor))
			for i, w := range []float32{11, 22, 33, 44} {
				if got[i] != w {
					t.Fatalf("got %v, want [11 22 33 44]", got)
				}
			}
		})
	}
}

func TestExternalDataRefused(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	writeWeights(t, filepath.Join(dir, "weights.bin"))
	writeWeights(t, filepath.Join(outside, "secret.bin"))
	if err := os.Symlink(filepath.Join(outside, "secret.bin"), filepath.Join(dir, "link.bin")); err != nil {
		t.Skip("no symlinks:", err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "linkdir")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("weights.bin", filepath.Join(dir, "inside.bin")); err != nil {
		t.Fatal(err)
	}
	// Opening a FIFO for reading would wait for a writer forever.
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe.bin"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		kv   []string
		want string
	}{
		{"absolute", []string{"location", filepath.Join(outside, "secret.bin")}, "is absolute"},
		{"dotdot", []string{"location", "../secret.bin"}, "escapes the model's folder"},
		{"dotdot inside", []string{"location", "a/../../secret.bin"}, "escapes the model's folder"},
		{"symlink out", []string{"location", "link.bin", "offset", "16"}, "resolves outside the model's folder"},
		{"symlinked folder", []string{"location", "linkdir/secret.bin", "offset", "16"}, "resolves outside the model's folder"},
		{"no location", []string{"offset", "16"}, "without location"},
		{"missing file", []string{"location", "nothere.bin"}, "no such file"},
		{"folder", []string{"location", "."}, "not a regular file (a folder)"},
		{"fifo", []string{"location", "pipe.bin"}, "not a regular file (a named pipe)"},
		{"past end", []string{"location", "weights.bin", "offset", "20"}, "beyond the file's end"},
		{"huge offset", []string{"location", "weights.bin", "offset", "9223372036854775807"}, "beyond the file's end"},
		{"bad offset", []string{"location", "weights.bin", "offset", "16x"}, "bad offset"},
		{"negative offset", []string{"location", "weights.bin", "offset", "-16"}, "bad offset"},
		{"bad length", []string{"location", "weights.bin", "length", "lots"}, "bad length"},
		{"wrong length", []string{"location", "weights.bin", "offset", "16", "length", "8"}, "length 8, tensor needs 16 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeModel(t, dir, "model.onnx", addModel(externalTensor("w", tc.kv...)))
			m, err := Import(path)
			if err == nil {
				m.Close()
				t.Fatal("import succeeded")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, path+": initializer \"w\": ") || !strings.Contains(msg, tc.want) {
				t.Errorf("error %q, want %q: initializer \"w\": ...%s...", msg, path, tc.want)
			}
		})
	}
	// A symlink that stays inside the folder is fine.
	path := writeModel(t, dir, "model.onnx", addModel(externalTensor("w", "location", "inside.bin", "offset", "16")))
	m, err := Import(path)
	if err != nil {
		t.Fatal(err)
	}
	m.Close()
}

// TestExternalDataNeedsPath checks that a model given as bytes without a
// path cannot reach files relative to the working directory.
func TestExternalDataNeedsPath(t *testing.T) {
	b := marshal(t, addModel(externalTensor("w", "location", "weights.bin")))
	_, err := ImportBytes(b, "")
	if err == nil || !strings.Contains(err.Error(), `initializer "w": external data "weights.bin": the model's path is unknown`) {
		t.Fatalf("error %v", err)
	}
}

// A model path that is a FIFO or a folder is refused, not opened.
func TestImportRefusesNonRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "model.onnx")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip("no FIFOs:", err)
	}
	for _, tc := range []struct{ path, want string }{
		{fifo, "not a regular file (a named pipe)"},
		{dir, "not a regular file (a folder)"},
	} {
		_, err := Import(tc.path)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Import(%s): %v, want an error containing %q", tc.path, err, tc.want)
		}
	}
}
