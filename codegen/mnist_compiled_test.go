package codegen

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kiln-ml/kiln/frontend/onnx"
	"github.com/kiln-ml/kiln/internal/testenv"
)

// mnistMain classifies the 10,000 MNIST test digits with the compiled
// mnist package (raw 0..255 pixels as float32, [1,1,28,28], as the
// interpreter's accuracy test feeds them) and prints how many it gets
// right.
const mnistMain = `package main

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"os"

	"x/mnist"
)

func readIDX(path string) []byte {
	f, err := os.Open(path)
	if err != nil {
		panic(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(bufio.NewReader(f))
	if err != nil {
		panic(err)
	}
	b, err := io.ReadAll(z)
	if err != nil {
		panic(err)
	}
	return b
}

func main() {
	images, labels := readIDX(os.Args[1]), readIDX(os.Args[2])
	n := int(binary.BigEndian.Uint32(images[4:]))
	if int(binary.BigEndian.Uint32(labels[4:])) != n {
		panic("image and label counts differ")
	}
	m, err := mnist.Load()
	if err != nil {
		panic(err)
	}
	s := m.NewSession()
	correct := 0
	for i := 0; i < n; i++ {
		px := make([]float32, 28*28)
		for k, p := range images[16+i*784 : 16+(i+1)*784] {
			px[k] = float32(p)
		}
		out, err := s.RunNamed(map[string]mnist.Tensor{"Input3": {Shape: []int{1, 1, 28, 28}, F32: px}})
		if err != nil {
			panic(err)
		}
		logits := out["Plus214_Output_0"].F32
		best := 0
		for k, v := range logits {
			if v > logits[best] {
				best = k
			}
		}
		if best == int(labels[8+i]) {
			correct++
		}
	}
	fmt.Println(correct)
}
`

// TestCompiledMNISTAccuracy compiles mnist-8 and classifies the 10,000
// MNIST test digits with the generated package: the count of correct
// answers must be ONNX Runtime's (the reference file), within the same ±2
// the interpreter's accuracy test allows for float32 summation order.
func TestCompiledMNISTAccuracy(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go toolchain on PATH")
	}
	model := testenv.SharedONNXModel(t, "mnist-8.onnx")
	root := filepath.Dir(filepath.Dir(model))
	var ref struct{ Correct, Total int }
	b, err := os.ReadFile(filepath.Join(root, "reference", "onnx", "mnist-8-accuracy.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	m, err := onnx.Import(model)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	p, err := Compile(m, Options{Package: "mnist", KilnVersion: "test"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files := map[string][]byte{"go.mod": []byte("module x\n\ngo 1.22\n"), "main.go": []byte(mnistMain)}
	for name, data := range p.Files {
		files["mnist/"+name] = data
	}
	for name, data := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	exe := filepath.Join(dir, "mnist-run")
	build := exec.Command(goBin, "build", "-o", exe, ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod", "GOPROXY=off", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	data := filepath.Join(root, "data", "mnist")
	out, err := exec.Command(exe, filepath.Join(data, "t10k-images-idx3-ubyte.gz"), filepath.Join(data, "t10k-labels-idx1-ubyte.gz")).CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	correct, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("output %q", out)
	}
	t.Logf("compiled mnist-8: %d/%d correct; ONNX Runtime 1.30: %d", correct, ref.Total, ref.Correct)
	if d := correct - ref.Correct; d < -2 || d > 2 {
		t.Errorf("the compiled package classifies %d digits correctly, ONNX Runtime %d (tolerance ±2)", correct, ref.Correct)
	}
}
