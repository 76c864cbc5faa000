package llm

import (
	"math"
	"testing"

	"github.com/kiln-ml/kiln/frontend/gguf"
	"github.com/kiln-ml/kiln/frontend/onnx"
	"github.com/kiln-ml/kiln/internal/testenv"
	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/interp"
	"github.com/kiln-ml/kiln/ir/tensor"
)

// TestONNXDecoderAgrees: stories260K-decoder.onnx and stories260K-f32.gguf
// hold the same trained weights; for the same ids (prefill of the prompt,
// then decode steps feeding the greedy ids) their logits through kiln agree
// within 1e-3, the ONNX decoder run with its explicit cache as its README
// describes, the GGUF lift with float32 keys and values.
func TestONNXDecoderAgrees(t *testing.T) {
	op, ok := testenv.Shared("models", "onnx", "stories260K-decoder.onnx")
	if !ok {
		t.Skip("no shared ONNX models")
	}
	om, err := onnx.Import(op)
	if err != nil {
		t.Fatal(err)
	}
	defer om.Close()
	m := loadShared(t, "stories260K-f32.gguf", gguf.LiftOptions{})
	ids := []int32{1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315}
	const prompt = 5

	oin := interp.New(om, interp.Options{})
	past := make([]interp.Value, 10)
	for i := range past {
		past[i] = interp.NewTensor(ir.F32, []int{1, 4, 0, 8})
	}
	sess := m.NewSession()
	worst := 0.0
	for start := 0; start < len(ids); {
		n := 1
		if start == 0 {
			n = prompt
		}
		idv, posv := make([]int64, n), make([]int64, n)
		for i := range idv {
			idv[i], posv[i] = int64(ids[start+i]), int64(start+i)
		}
		in := append([]interp.Value{interp.FromSlice([]int{1, n}, idv), interp.FromSlice([]int{1, n}, posv)}, past...)
		out, err := oin.Run(om.Funcs[0].Name, in)
		if err != nil {
			t.Fatal(err)
		}
		copy(past, out[1:])
		want := interp.Data[float32](out[0].(*interp.Tensor))
		rows, err := sess.Eval(ids[start : start+n])
		if err != nil {
			t.Fatal(err)
		}
		for r, row := range rows {
			for j, v := range row {
				worst = max(worst, math.Abs(float64(v)-float64(want[r*len(row)+j])))
			}
		}
		start += n
	}
	t.Logf("max abs logit difference over %d positions: %.3g", len(ids), worst)
	if !(worst <= 1e-3) {
		t.Errorf("max abs logit difference %.3g > 1e-3", worst)
	}

	// The same positions against the PyTorch reference logits stored
	// beside the decoder (step_logits.npy, row r after ids[0..r]).
	sp, ok := testenv.Shared("models", "reference", "onnx", "stories260K-decoder", "step_logits.npy")
	if !ok {
		return
	}
	ref, err := tensor.ReadNPYFile(sp)
	if err != nil {
		t.Fatal(err)
	}
	sess.Reset()
	rows, err := sess.Eval(ids)
	if err != nil {
		t.Fatal(err)
	}
	want := tensor.Data[float32](ref)
	worst = 0
	for r, row := range rows {
		for j, v := range row {
			worst = max(worst, math.Abs(float64(v)-float64(want[r*len(row)+j])))
		}
	}
	t.Logf("max abs difference from step_logits.npy: %.3g", worst)
	if !(worst <= 1e-3) {
		t.Errorf("max abs difference from the PyTorch logits %.3g > 1e-3", worst)
	}
}
