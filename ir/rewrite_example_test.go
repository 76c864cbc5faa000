package ir_test

import (
	"encoding/binary"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/kiln-ml/kiln/frontend/onnx"
	"github.com/kiln-ml/kiln/internal/testenv"
	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/interp"
)

// The rewrite API carrying a real rewrite: every BatchNormalization that
// reads a Conv whose only reader it is folds into new Conv weights and
// bias. It is a test, not a pass (the pass manager comes later), and shows
// the steps a pass takes: find through use lists, build at an insertion
// point, replace uses, erase, clean up, re-infer, verify, and check the
// interpreter computes the same.
//
// paddleocr-cls is the smallest shared model with such pairs (35, none of
// whose Convs has a bias): mnist-8 has no BatchNormalization and the
// mobilenetv2 export has its BatchNormalizations already folded.
func TestFoldBatchNormIntoConv(t *testing.T) {
	path := testenv.SharedONNXModel(t, "paddleocr-cls.onnx")
	m, err := onnx.Import(path)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	f := m.Funcs[0]
	// The logits before the closing Softmax become a second output, so
	// that the comparison below is not blunted by the Softmax (whose
	// outputs here lie within 0.02 of 0.5).
	last := f.Body.Ops[len(f.Body.Ops)-1]
	if last.Name != "Softmax" {
		t.Fatalf("the model no longer ends in Softmax but in %s", last.Name)
	}
	f.AddOutput("logits", last.Args[0])
	inputs := referenceInputs(t, path)
	want, err := interp.New(m, interp.Options{}).Run("", inputs)
	if err != nil {
		t.Fatal(err)
	}
	before := funcText(t, m)

	folds, err := foldBatchNorms(m)
	if err != nil {
		t.Fatal(err)
	}
	if folds != 35 {
		t.Errorf("%d folds, want 35 (every Conv→BatchNormalization pair of paddleocr-cls)", folds)
	}
	if n := ir.RemoveDeadOps(f.Body); n != 0 {
		t.Errorf("RemoveDeadOps erased %d ops; the fold erases what it replaces itself", n)
	}
	after := funcText(t, m)
	removedConsts := ir.RemoveUnusedConsts(m)
	if err := ir.ReInfer(f.Body); err != nil {
		t.Fatal(err)
	}
	if err := ir.Verify(m); err != nil {
		t.Fatal(err)
	}
	if got := funcText(t, m); got != after {
		gone, added := ir.LineDiff(after, got)
		t.Errorf("re-inferring the whole function changed types: %q -> %q", gone, added)
	}

	// Only the lines of the ops the fold touched change: each pair's two
	// lines give way to one Conv line; every other line, names included,
	// stays as it was.
	gone, added := ir.LineDiff(before, after)
	if len(gone) != 2*folds || len(added) != folds {
		t.Errorf("%d lines removed, %d added; want %d and %d", len(gone), len(added), 2*folds, folds)
	}
	for _, l := range gone {
		if !strings.Contains(l, "= Conv(") && !strings.Contains(l, "= BatchNormalization(") {
			t.Errorf("the fold changed a line it should not have: %s", l)
		}
	}
	for _, l := range added {
		if !strings.Contains(l, "= Conv(") || !strings.Contains(l, `", "p2o.BatchNormalization.`) {
			t.Errorf("a new line is not a Conv with both locations: %s", l)
		}
	}
	// The constants only the removed lines read are what
	// RemoveUnusedConsts dropped.
	constRef := regexp.MustCompile(`@("(?:[^"\\]|\\.)*"|[A-Za-z0-9_.]+)`)
	stillRead := map[string]bool{}
	for _, ref := range constRef.FindAllString(after, -1) {
		stillRead[ref] = true
	}
	orphaned := map[string]bool{}
	for _, l := range gone {
		for _, ref := range constRef.FindAllString(l, -1) {
			if !stillRead[ref] {
				orphaned[ref] = true
			}
		}
	}
	if removedConsts != len(orphaned) {
		t.Errorf("RemoveUnusedConsts dropped %d constants; the removed lines alone read %d", removedConsts, len(orphaned))
	}

	// The folded module round-trips through text.
	m2 := roundTrip(t, "folded", m, t.TempDir(), false)
	defer m2.Close()

	got, err := interp.New(m, interp.Options{}).Run("", inputs)
	if err != nil {
		t.Fatal(err)
	}
	// Tolerance. The fold computes scale/sqrt(var+eps) and the new weights
	// and bias in float64 and rounds each once to float32; the original
	// rounds the Conv sum and then each step of the normalization. The
	// float32 sums of a Conv (up to 200 products for the pointwise ones)
	// thus round differently, by a few ulps of the terms' magnitudes per
	// layer, carried through 35 layers with hardswish. Measured on the
	// reference input: the logits (about 0.05 and 0.11) differ by 3.0e-7,
	// the probabilities by 1.8e-7. 1e-5 is 30 times that, and still
	// catches small mistakes in the fold: leaving out epsilon (1e-5 next
	// to the variance) moves the logits by 2.9e-4, a shift 1% off by
	// 3.8e-2.
	const atol = 1e-5
	for i, name := range f.OutputNames {
		w, g := interp.Data[float32](want[i].(*interp.Tensor)), interp.Data[float32](got[i].(*interp.Tensor))
		if len(w) != len(g) {
			t.Fatalf("%s: %d values, want %d", name, len(g), len(w))
		}
		worst := 0.0
		for j := range w {
			worst = max(worst, math.Abs(float64(w[j])-float64(g[j])))
		}
		t.Logf("%s: largest difference after folding %.3g (values %v)", name, worst, w)
		if worst > atol {
			t.Errorf("%s: outputs differ by up to %.3g after folding, more than %g", name, worst, atol)
		}
	}
	t.Logf("%d BatchNormalizations folded, %d constants dropped", folds, removedConsts)
}

// funcText is the printed text of m's functions (constants left out: new
// ones print inline).
func funcText(t *testing.T, m *ir.Module) string {
	s := printed(t, m, ir.PrintOptions{})
	return s[strings.Index(s, "\nfunc ")+1:]
}

// foldBatchNorms folds each BatchNormalization (inference mode, one
// result) into the Conv it reads when the Conv's result is read by nothing
// else and weights, bias and statistics are float32 constants.
func foldBatchNorms(m *ir.Module) (int, error) {
	body := m.Funcs[0].Body
	uses := ir.Uses(body)
	var bns []*ir.Op
	for _, bn := range body.Ops {
		if bn.Name != "BatchNormalization" || len(bn.Results) != 1 || bn.Int("training_mode") != 0 {
			continue
		}
		conv := bn.Args[0].Def
		if conv == nil || conv.Name != "Conv" {
			continue
		}
		if us := uses[conv.Results[0]]; len(us) != 1 || us[0].Op != bn || us[0].Index != 0 {
			continue
		}
		if !slices.ContainsFunc(slices.Concat(bn.Args[1:], conv.Args[1:]), func(v *ir.Value) bool {
			return v != nil && (!v.IsConst() || v.Type.DType != ir.F32)
		}) {
			bns = append(bns, bn)
		}
	}
	for _, bn := range bns {
		if err := foldOne(m, bn); err != nil {
			return 0, fmt.Errorf("%v: %w", bn.Loc, err)
		}
	}
	return len(bns), nil
}

func foldOne(m *ir.Module, bn *ir.Op) error {
	conv := bn.Args[0].Def
	w := conv.Args[1]
	wv, _ := ir.ConstFloats(w)
	scale, _ := ir.ConstFloats(bn.Args[1])
	shift, _ := ir.ConstFloats(bn.Args[2])
	mean, _ := ir.ConstFloats(bn.Args[3])
	variance, _ := ir.ConstFloats(bn.Args[4])
	outCh := len(scale)
	if w.Type.Shape.Rank() < 1 || int(w.Type.Shape.Dims[0].Size) != outCh || len(wv)%outCh != 0 {
		return fmt.Errorf("weights %v do not match %d channels", w.Type, outCh)
	}
	bias := make([]float64, outCh)
	if b := conv.Arg(2); b != nil {
		bias, _ = ir.ConstFloats(b)
	}
	eps := float64(bn.Float("epsilon"))
	per := len(wv) / outCh
	newW, newB := make([]float32, len(wv)), make([]float32, outCh)
	for c := range outCh {
		s := scale[c] / math.Sqrt(variance[c]+eps)
		for k := range per {
			newW[c*per+k] = float32(wv[c*per+k] * s)
		}
		newB[c] = float32((bias[c]-mean[c])*s + shift[c])
	}
	wc := m.AddConst(uniqueConst(m, w.Const.Name+".bn_folded"), w.Type, &ir.Constant{Bytes: f32Bytes(newW)})
	bc := m.AddConst(uniqueConst(m, bn.Args[2].Const.Name+".bn_folded"), ir.TensorType(ir.F32, ir.ShapeOf(int64(outCh))), &ir.Constant{Bytes: f32Bytes(newB)})

	b := ir.BuildBefore(bn)
	b.Loc = ir.MergeLocs(conv, bn)
	folded, err := b.Build("Conv", []*ir.Value{conv.Args[0], wc, bc}, conv.Attrs, 1)
	if err != nil {
		return err
	}
	ir.ReplaceAllUses(bn.Parent, bn.Results[0], folded.Results[0])
	name := bn.Results[0].Name
	if err := ir.EraseOp(bn); err != nil {
		return err
	}
	if err := ir.EraseOp(conv); err != nil {
		return err
	}
	// The folded Conv takes the normalized value's name, so that its
	// readers' lines do not change.
	folded.Results[0].Name = name
	return nil
}

func uniqueConst(m *ir.Module, name string) string {
	for i := 1; m.Const(name) != nil; i++ {
		name = fmt.Sprintf("%s.%d", name, i)
	}
	return name
}

func f32Bytes(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

// Fresh names of a pass on an imported model count on past the numbers
// among its ONNX value names (silero-vad-v4 has PyTorch's "133" and the
// like), so a new value never shares a name with an old one.
func TestFreshNamesAfterImport(t *testing.T) {
	m, err := onnx.Import(testenv.SharedONNXModel(t, "silero-vad-v4.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	body := m.Funcs[0].Body
	names := map[string]bool{}
	var walk func(r *ir.Region)
	walk = func(r *ir.Region) {
		for _, p := range r.Params {
			names[p.Name] = true
		}
		for _, op := range r.Ops {
			for _, v := range op.Results {
				names[v.Name] = true
			}
			for _, sub := range op.Regions {
				walk(sub)
			}
		}
	}
	walk(body)
	if !names["133"] {
		t.Fatalf("the model no longer has a value named 133")
	}
	for range 500 {
		if n := body.FreshName(); names[n] {
			t.Fatalf("fresh name %s is taken", n)
		}
	}
}
