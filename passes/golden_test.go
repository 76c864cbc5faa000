package passes

import (
	"flag"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-ml/kiln/golden"
	"github.com/kiln-ml/kiln/ir"
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
// module that prints identically.
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
			results, err := Run(m, pipeline, Instrument{Verify: true})
			if err != nil {
				t.Fatal(err)
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
