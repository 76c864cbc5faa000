// Package golden holds kiln's golden tests: txtar archives under testdata/
// that pair an input (a .kir text, or a model to import) with the exact
// text kiln must produce for it. `go test ./golden` checks them, `go test
// ./golden -update` rewrites the expectations, and a mismatch shows as a
// -want +got line diff to review like any code change.
//
// The non-test code is small and imports no other kiln package: LineDiff
// (also behind `kiln fmt -d`) and Archive, which the golden tests of other
// packages (passes, ...) use to read their cases and rewrite them with
// -update.
package golden

import (
	"strconv"
	"strings"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// diffContext is how many unchanged lines LineDiff shows around a change.
const diffContext = 3

// LineDiff returns a line diff of two texts, lines from want prefixed "-",
// lines from got "+", and up to three unchanged lines around each change
// prefixed " ". Hunks are separated by "@@ line N @@" with N the line in
// want. It returns "" when the texts are equal.
func LineDiff(want, got string) string {
	if want == got {
		return ""
	}
	dmp := diffmatchpatch.New()
	a, b, lines := dmp.DiffLinesToChars(want, got)
	diffs := dmp.DiffCharsToLines(dmp.DiffMain(a, b, false), lines)
	type line struct {
		op   byte
		text string
		at   int // line number in want
	}
	var all []line
	n := 1
	for _, d := range diffs {
		text := strings.TrimSuffix(d.Text, "\n")
		for _, l := range strings.Split(text, "\n") {
			switch d.Type {
			case diffmatchpatch.DiffEqual:
				all = append(all, line{' ', l, n})
				n++
			case diffmatchpatch.DiffDelete:
				all = append(all, line{'-', l, n})
				n++
			case diffmatchpatch.DiffInsert:
				all = append(all, line{'+', l, n})
			}
		}
	}
	show := make([]bool, len(all))
	for i, l := range all {
		if l.op == ' ' {
			continue
		}
		for j := max(0, i-diffContext); j <= min(len(all)-1, i+diffContext); j++ {
			show[j] = true
		}
	}
	var out strings.Builder
	for i, l := range all {
		if !show[i] {
			continue
		}
		if i == 0 || !show[i-1] {
			out.WriteString("@@ line " + strconv.Itoa(l.at) + " @@\n")
		}
		out.WriteByte(l.op)
		out.WriteString(l.text)
		out.WriteByte('\n')
	}
	return out.String()
}
