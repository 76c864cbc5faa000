package onnxtest_test

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/kiln-ml/kiln/frontend/onnx/onnxtest"
)

// The ONNX backend tests of the tensor-manipulation and indexing family
// (node and simple suites), and the pytorch-suite models that exercise it.
var tensorTests = regexp.MustCompile(`^test_(reshape|flatten|squeeze|unsqueeze|transpose|concat|split|slice|gather|` +
	`gathernd|gather_elements|scatter|scatter_elements|scatternd|expand|tile|pad|edge_pad|reflect_pad|constant_pad|` +
	`shape|size|constantofshape|range|onehot|tril|triu|eyelike|nonzero|compress|depthtospace|spacetodepth|` +
	`reversesequence|unique|top_k|cumsum|resize|upsample)(_|\d|$)`)

var tensorPytorch = regexp.MustCompile(`^test_(ConstantPad2d|Embedding|Embedding_sparse|PixelShuffle|ReflectionPad2d|` +
	`ReplicationPad2d|ZeroPad2d|operator_(chunk|concat2|flatten|index|pad|permute2|repeat|repeat_dim_overflow|view))$`)

// Tests of the family that cannot pass (yet), and why.
var tensorKnownFailures = map[string]string{}

func TestTensorConformance(t *testing.T) {
	root := "/usr/share/libonnx-testdata/data"
	if _, err := os.Stat(root); err != nil {
		t.Skip("ONNX backend test data not installed")
	}
	run := func(suite string, re *regexp.Regexp) {
		dirs, _ := filepath.Glob(filepath.Join(root, suite, "test_*"))
		n := 0
		for _, d := range dirs {
			name := filepath.Base(d)
			if !re.MatchString(name) {
				continue
			}
			n++
			r := onnxtest.Run(d)
			_, known := tensorKnownFailures[name]
			switch {
			case r.Outcome == onnxtest.Passed && known:
				t.Errorf("%s/%s passes now: drop it from tensorKnownFailures", suite, name)
			case r.Outcome != onnxtest.Passed && !known:
				t.Errorf("%s/%s: %s: %s: %s", suite, name, r.Outcome, r.Stage, r.Reason)
			}
		}
		if n == 0 {
			t.Errorf("no %s tests matched", suite)
		}
	}
	run("node", tensorTests)
	run("simple", tensorTests)
	run("pytorch-converted", tensorPytorch)
	run("pytorch-operator", tensorPytorch)
}
