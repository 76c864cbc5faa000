package modeltest

import (
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/kiln-ml/kiln/ir/interp"
)

// mnistTolerance is how far kiln's count of correct digits may stray from
// ONNX Runtime's: a digit whose top two logits nearly tie can flip with
// float32 summation order.
const mnistTolerance = 2

// TestMNISTAccuracy classifies all 10,000 MNIST test digits (raw 0..255
// pixels as float32, [1,1,28,28]) with mnist-8 in the interpreter and
// expects ONNX Runtime's count of correct answers. Where ONNX Runtime can
// be run, every digit on which the two disagree is listed.
func TestMNISTAccuracy(t *testing.T) {
	root := sharedModels(t)
	var ref struct {
		Correct, Total int
	}
	b, err := os.ReadFile(filepath.Join(root, "reference", "onnx", "mnist-8-accuracy.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	images, rows, cols, err := readIDXImages(filepath.Join(root, "data", "mnist", "t10k-images-idx3-ubyte.gz"))
	if err != nil {
		t.Fatal(err)
	}
	labels, err := readIDXLabels(filepath.Join(root, "data", "mnist", "t10k-labels-idx1-ubyte.gz"))
	if err != nil {
		t.Fatal(err)
	}
	if len(images) != ref.Total || len(labels) != ref.Total {
		t.Fatalf("%d images, %d labels; the reference counted %d", len(images), len(labels), ref.Total)
	}
	model := filepath.Join(root, "onnx", "mnist-8.onnx")
	m := importModel(t, model)
	name := m.Funcs[0].InputNames[0]
	in := interp.New(m, interp.Options{})
	input := func(i int) *interp.Tensor {
		px := make([]float32, rows*cols)
		for k, p := range images[i] {
			px[k] = float32(p)
		}
		return interp.FromSlice([]int{1, 1, rows, cols}, px)
	}

	logits := make([][]float32, len(images))
	errs := make([]error, len(images))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out, err := in.RunNamed("", map[string]interp.Value{name: input(i)})
				if err != nil {
					errs[i] = err
					continue
				}
				l, ok := out[0].(*interp.Tensor)
				if !ok || l.Len() != 10 {
					errs[i] = fmt.Errorf("output is %v, want 10 float32 logits", out[0].Type())
					continue
				}
				logits[i] = interp.Data[float32](l)
			}
		}()
	}
	for i := range images {
		next <- i
	}
	close(next)
	wg.Wait()
	correct := 0
	for i := range images {
		if errs[i] != nil {
			t.Fatalf("digit %d: %v", i, errs[i])
		}
		if argmax(logits[i]) == int(labels[i]) {
			correct++
		}
	}
	t.Logf("kiln: %d/%d correct (%.2f%%); ONNX Runtime 1.30: %d", correct, len(images), 100*float64(correct)/float64(len(images)), ref.Correct)
	if d := correct - ref.Correct; d < -mnistTolerance || d > mnistTolerance {
		t.Errorf("kiln classifies %d digits correctly, ONNX Runtime %d (tolerance ±%d)", correct, ref.Correct, mnistTolerance)
	}

	if err := ortInit(t); err != nil {
		if os.Getenv("KILN_REQUIRE_ORT") == "1" {
			t.Fatalf("KILN_REQUIRE_ORT=1: %v", err)
		}
		t.Logf("per-digit comparison with ONNX Runtime skipped: %v", err)
		return
	}
	s := newORTSession(t, model)
	differ := 0
	for i := range images {
		out, err := s.run(map[string]*interp.Tensor{name: input(i)})
		if err != nil {
			t.Fatalf("ONNX Runtime, digit %d: %v", i, err)
		}
		want := interp.Data[float32](out[s.outputNames[0]])
		if k, o := argmax(logits[i]), argmax(want); k != o {
			differ++
			t.Logf("digit %d (label %d): kiln says %d, ONNX Runtime %d; kiln logits %v, ONNX Runtime logits %v", i, labels[i], k, o, logits[i], want)
		}
	}
	t.Logf("kiln and ONNX Runtime disagree on %d of %d digits", differ, len(images))
}

// argmax returns the index of the largest value, the first on ties (as
// numpy's argmax, which the reference count used).
func argmax(x []float32) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}

// readIDX reads a gzipped IDX file and checks its magic number.
func readIDX(path string, magic uint32, ndims int) ([]int, []byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	b, err := io.ReadAll(z)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	hdr := 4 + 4*ndims
	if len(b) < hdr || binary.BigEndian.Uint32(b) != magic {
		return nil, nil, fmt.Errorf("%s: not an IDX file with magic %d", path, magic)
	}
	dims := make([]int, ndims)
	n := 1
	for i := range dims {
		dims[i] = int(binary.BigEndian.Uint32(b[4+4*i:]))
		n *= dims[i]
	}
	if len(b)-hdr != n {
		return nil, nil, fmt.Errorf("%s: %d data bytes, header says %v", path, len(b)-hdr, dims)
	}
	return dims, b[hdr:], nil
}

func readIDXImages(path string) (images [][]byte, rows, cols int, err error) {
	dims, data, err := readIDX(path, 2051, 3)
	if err != nil {
		return nil, 0, 0, err
	}
	rows, cols = dims[1], dims[2]
	for i := 0; i < dims[0]; i++ {
		images = append(images, data[i*rows*cols:(i+1)*rows*cols])
	}
	return images, rows, cols, nil
}

func readIDXLabels(path string) ([]byte, error) {
	_, data, err := readIDX(path, 2049, 1)
	return data, err
}
