package onnxtest_test

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/kiln-ml/kiln/frontend/onnx/onnxtest"
)

// The ONNX backend tests of the neural-network family (node suite). The
// _expanded variants are left out: they exercise other families' ops.
var nnTests = regexp.MustCompile(`^test_(conv|convtranspose|convinteger|qlinearconv|averagepool|maxpool|` +
	`globalaveragepool|globalmaxpool|lppool|maxunpool|roialign|gridsample|batchnorm|instancenorm|` +
	`layer_normalization|lrn|mvn|gemm|matmul|matmulinteger|qlinearmatmul|quantizelinear|dequantizelinear|` +
	`dynamicquantizelinear|einsum|det|dropout|training_dropout|basic_conv|basic_convinteger)`)

// The pytorch-suite models that exercise the family (AvgPool1d also needs
// Squeeze/Unsqueeze from the tensor family, so it is left out).
var nnPytorch = regexp.MustCompile(`^test_(AvgPool[23]d.*|BatchNorm.*|Conv.*|Linear|MaxPool.*|` +
	`operator_(conv|convtranspose|maxpool|mm|addmm|addconstant))$`)

// Tests of the family whose expected values cannot be reproduced: the
// outputs of training-mode Dropout are numpy's random draws. The runner
// checks them on their statistics where it has a random-test check for
// them, so they may pass or fail here.
var nnRandomTests = map[string]bool{
	"test_training_dropout":              true,
	"test_training_dropout_default":      true,
	"test_training_dropout_default_mask": true,
	"test_training_dropout_mask":         true,
}

func TestNNConformance(t *testing.T) {
	root := "/usr/share/libonnx-testdata/data"
	if _, err := os.Stat(root); err != nil {
		t.Skip("ONNX backend test data not installed")
	}
	run := func(suite string, re *regexp.Regexp, exclude *regexp.Regexp) {
		dirs, _ := filepath.Glob(filepath.Join(root, suite, "test_*"))
		n := 0
		for _, d := range dirs {
			name := filepath.Base(d)
			if !re.MatchString(name) || (exclude != nil && exclude.MatchString(name)) {
				continue
			}
			n++
			if r := onnxtest.Run(d); r.Outcome != onnxtest.Passed && !nnRandomTests[name] {
				t.Errorf("%s/%s: %s: %s: %s", suite, name, r.Outcome, r.Stage, r.Reason)
			}
		}
		if n == 0 {
			t.Errorf("no %s tests matched", suite)
		}
	}
	run("node", nnTests, regexp.MustCompile(`_expanded$`))
	run("pytorch-converted", nnPytorch, nil)
	run("pytorch-operator", nnPytorch, nil)
}
