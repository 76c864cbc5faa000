package passes

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-ml/kiln/golden"
	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/interp"
	"github.com/kiln-ml/kiln/ir/tensor"
)

var update = flag.Bool("update", false, "rewrite the expected outputs of the golden cases")

// TestGolden runs every testdata/*.txtar case:
//
//	-- passes --     the pipeline, as --passes takes it
//	-- input.kir --  the module
//	-- want.kir --   the module after the pipeline
//	-- want.stats -- each pass's statistics, one line per pass
//
// The verifier runs after every pass, and the output must parse back to a
// module that prints identically. When every input of main is a float32
// or int64 tensor of static shape, the interpreter runs the module before
// and after the pipeline on seeded inputs, and the outputs must agree
// within the fuse pass's tolerance (passTolerance): the rewrite computes
// what the pattern did.
func TestGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.txtar")
	if len(files) == 0 {
		t.Fatal("no golden cases in testdata")
	}
	for _, path := range files {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txtar"), func(t *testing.T) {
			ar, err := golden.ReadArchive(path)
			if err != nil {
				t.Fatal(err)
			}
			spec, _ := ar.File("passes")
			input, ok := ar.File("input.kir")
			if !ok {
				t.Fatal("no input.kir")
			}
			pipeline, err := ParsePipeline(strings.TrimSpace(spec), nil)
			if err != nil {
				t.Fatal(err)
			}
			m, err := ir.Parse("input.kir", []byte(input), ir.ParseOptions{})
			if err != nil {
				t.Fatal(err)
			}
			before := m.Clone()
			results, err := Run(m, pipeline, Instrument{Verify: true})
			if err != nil {
				t.Fatal(err)
			}
			if err := sameOutputs(before, m); err != nil {
				t.Error(err)
			}
			got := m.String()
			m2, err := ir.Parse("want.kir", []byte(got), ir.ParseOptions{})
			if err != nil {
				t.Fatalf("the output does not parse: %v", err)
			}
			if again := m2.String(); again != got {
				t.Fatalf("the output does not print back identically:\n%s", golden.LineDiff(got, again))
			}
			var stats strings.Builder
			for _, r := range results {
				stats.WriteString(strings.TrimSpace(r.Pass+" "+r.Stats.String()) + "\n")
			}
			for _, err := range []error{ar.Check("want.kir", got, *update), ar.Check("want.stats", stats.String(), *update)} {
				if err != nil {
					t.Error(err)
				}
			}
		})
	}
}

// sameOutputs runs before and after on the same seeded inputs (floats
// uniform in [-2, 2), integers 0 or 1) and compares their outputs within
// the fuse tolerance; modules whose inputs are not all static float32 or
// int64 tensors are not run.
func sameOutputs(before, after *ir.Module) error {
	f := before.Func("main")
	if f == nil {
		return nil
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var inputs []interp.Value
	for _, p := range f.Body.Params {
		t := p.Type
		if !t.IsTensor() || !t.Shape.IsStatic() {
			return nil
		}
		shape := make([]int, t.Shape.Rank())
		n := 1
		for i, d := range t.Shape.Dims {
			shape[i] = int(d.Size)
			n *= shape[i]
		}
		switch t.DType {
		case ir.F32:
			xs := make([]float32, n)
			for i := range xs {
				xs[i] = 4*rng.Float32() - 2
			}
			inputs = append(inputs, tensor.FromSlice(shape, xs))
		case ir.I64:
			xs := make([]int64, n)
			for i := range xs {
				xs[i] = rng.Int64N(2)
			}
			inputs = append(inputs, tensor.FromSlice(shape, xs))
		default:
			return nil
		}
	}
	want, err := interp.New(before, interp.Options{}).Run("main", inputs)
	if err != nil {
		return nil // the case's input need not run (random ops, data files)
	}
	got, err := interp.New(after, interp.Options{}).Run("main", inputs)
	if err != nil {
		return fmt.Errorf("after the pipeline: %v", err)
	}
	if err := close(want, got, passTolerance["fuse"]); err != nil {
		return fmt.Errorf("outputs changed: %v", err)
	}
	return nil
}
