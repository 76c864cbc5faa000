package passes

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/kiln-ml/kiln/frontend/gguf"
	"github.com/kiln-ml/kiln/frontend/onnx"
	"github.com/kiln-ml/kiln/internal/testenv"
	"github.com/kiln-ml/kiln/ir"
)

// The stories260K ONNX decoder, after the default pipeline, holds the same
// attention, RMSNorm and rotary-embedding ops as the GGUF lift of the same
// model (stories260K-f32.gguf): per op type, the same list of key
// attributes (each read with its declared default) and operand shapes.
func TestDecoderMatchesGGUFLift(t *testing.T) {
	path := testenv.SharedONNXModel(t, "stories260K-decoder.onnx")
	gpath, ok := testenv.Shared("models", "gguf", "stories260K-f32.gguf")
	if _, err := os.Stat(gpath); !ok || err != nil {
		t.Skip("no stories260K-f32.gguf")
	}
	m, err := onnx.Import(path)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	pipeline, err := ParsePipeline("default", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Run(m, pipeline, Instrument{Verify: true}); err != nil {
		t.Fatal(err)
	}
	f, err := gguf.Open(gpath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lifted, _, err := gguf.LiftLlama(f, gpath, gguf.LiftOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer lifted.Close()
	want := keyOps(lifted.Func("prefill").Body)
	got := keyOps(m.Funcs[0].Body)
	for _, name := range []string{"Attention", "RMSNormalization", "RotaryEmbedding"} {
		if len(want[name]) == 0 {
			t.Fatalf("the lift has no %s", name)
		}
		if !slices.Equal(got[name], want[name]) {
			t.Errorf("%s:\n got %q\nwant %q", name, got[name], want[name])
		}
	}
}

// keyOps describes each Attention, RMSNormalization and RotaryEmbedding op
// of r by the attributes that decide what it computes and the ranks and
// static trailing dims of its operands, sorted per op type.
func keyOps(r *ir.Region) map[string][]string {
	keys := map[string][]string{
		"Attention":        {"is_causal", "q_num_heads", "kv_num_heads", "softcap", "qk_matmul_output_mode"},
		"RMSNormalization": {"axis", "epsilon", "stash_type"},
		"RotaryEmbedding":  {"interleaved", "num_heads", "rotary_embedding_dim"},
	}
	out := map[string][]string{}
	for _, op := range r.Ops {
		names, ok := keys[op.Name]
		if !ok {
			continue
		}
		var b strings.Builder
		for _, n := range names {
			switch ir.Lookup(op.Name).Attr(n).Kind {
			case ir.AttrFloat:
				fmt.Fprintf(&b, "%s=%g ", n, op.Float(n))
			default:
				fmt.Fprintf(&b, "%s=%d ", n, op.Int(n))
			}
		}
		if op.Name == "Attention" {
			// The scale as the kernel takes it: the attribute, else
			// 1/sqrt(head size).
			if op.Has("scale") {
				fmt.Fprintf(&b, "scale=%g ", op.Float("scale"))
			} else {
				fmt.Fprintf(&b, "scale=default ")
			}
			fmt.Fprintf(&b, "results=%d ", len(op.Results))
		}
		// Operands: present or not, and the last dim (the batch and
		// sequence dims differ: the lift's batch is 1 and it normalizes
		// rows [n, 64]); Attention's ranks too.
		for i, a := range op.Args {
			if op.Name == "RotaryEmbedding" && i > 0 {
				break // cos/sin caches: a table by position or per token
			}
			if a == nil {
				b.WriteString("_ ")
				continue
			}
			s := a.Type.Shape
			if op.Name == "Attention" {
				fmt.Fprintf(&b, "r%d:", s.Rank())
			}
			fmt.Fprintf(&b, "%v ", s.Dims[s.Rank()-1])
		}
		out[op.Name] = append(out[op.Name], strings.TrimSpace(b.String()))
	}
	for _, v := range out {
		slices.Sort(v)
	}
	return out
}

// minilm-like-opset14 (LayerNorm decomposed) and minilm-like-opset17 end
// the default pipeline with the same op histogram, at most 40% of the
// ops imported.
func TestMiniLMHistograms(t *testing.T) {
	var hist []map[string]int
	for _, name := range []string{"minilm-like-opset14.onnx", "minilm-like-opset17.onnx"} {
		m, err := onnx.Import(testenv.SharedONNXModel(t, name))
		if err != nil {
			t.Fatal(err)
		}
		imported := CountOps(m)
		pipeline, err := ParsePipeline("default", nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Run(m, pipeline, Instrument{Verify: true}); err != nil {
			t.Fatal(err)
		}
		if n := CountOps(m); 10*n > 4*imported {
			t.Errorf("%s: %d ops after the pipeline, over 40%% of the %d imported", name, n, imported)
		}
		hist = append(hist, Histogram(m))
		m.Close()
	}
	if !maps.Equal(hist[0], hist[1]) {
		t.Errorf("histograms differ:\n opset14 %v\n opset17 %v", hist[0], hist[1])
	}
}
