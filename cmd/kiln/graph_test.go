package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kiln-ml/kiln/frontend/onnx"
	"github.com/kiln-ml/kiln/internal/testenv"
	"github.com/kiln-ml/kiln/ir"
)

const graphKIR = `func @main(%0 "x": f32[2]) -> ("y": f32[2]) {
  %1 = Relu(%0) : f32[2] loc("relu")
  %2 = Neg(%1) : f32[2]
  return %2
}
`

func TestGraphCommand(t *testing.T) {
	dir := t.TempDir()
	kir := filepath.Join(dir, "m.kir")
	if err := os.WriteFile(kir, []byte(graphKIR), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args     []string
		code     int
		inStdout string
		inStderr string
	}{
		{[]string{"help"}, exitOK, "graph", ""},
		{[]string{"graph", "-h"}, exitOK, "", "usage: kiln graph"},
		{[]string{"graph"}, exitUsage, "", "want exactly one model"},
		{[]string{"graph", kir, kir}, exitUsage, "", "want exactly one model"},
		{[]string{"graph", "-o", filepath.Join(dir, "m.png"), kir}, exitUsage, "", "want a .svg, .html or .dot file"},
		{[]string{"graph", "/nonexistent/model.onnx"}, exitFailure, "", "kiln graph:"},
		{[]string{"graph", "-o", filepath.Join(dir, "no", "such", "dir.svg"), kir}, exitFailure, "", "kiln graph:"},
		{[]string{"graph", kir}, exitOK, `label=<<B>Relu</B>>`, ""},
		{[]string{"graph", kir, "--no-types"}, exitOK, "digraph kiln {", ""},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, stdout, stderr := runCLI(tt.args...)
			if code != tt.code || !strings.Contains(stdout, tt.inStdout) || !strings.Contains(stderr, tt.inStderr) {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d with %q / %q", code, stdout, stderr, tt.code, tt.inStdout, tt.inStderr)
			}
		})
	}
	// --no-types drops the edge labels the default keeps.
	_, typed, _ := runCLI("graph", kir)
	_, bare, _ := runCLI("graph", "--no-types", kir)
	if !strings.Contains(typed, `xlabel="f32[2]"`) || strings.Contains(bare, "xlabel=") {
		t.Errorf("edge labels: default has them: %v, --no-types has none: %v", strings.Contains(typed, "xlabel="), !strings.Contains(bare, "xlabel="))
	}
}

// TestGraphFormats writes each format and checks it is that format.
func TestGraphFormats(t *testing.T) {
	dir := t.TempDir()
	kir := filepath.Join(dir, "m.kir")
	if err := os.WriteFile(kir, []byte(graphKIR), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ out, prefix, has string }{
		{"m.dot", "digraph kiln {", `n2 [id="n2", fillcolor=`},
		{"m.gv", "digraph kiln {", `n2 [id="n2", fillcolor=`},
		{"m.svg", "<?xml", `<g id="n2" class="node">`},
		{"m.html", "<!DOCTYPE html>", `<g id="n2" class="node">`},
		{"M.HTML", "<!DOCTYPE html>", "<title>m.kir · kiln graph</title>"},
	} {
		t.Run(tt.out, func(t *testing.T) {
			out := filepath.Join(dir, tt.out)
			if code, _, stderr := runCLI("graph", kir, "-o", out); code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(b), tt.prefix) || !strings.Contains(string(b), tt.has) {
				t.Errorf("%s does not start with %q or lacks %q:\n%.400s", tt.out, tt.prefix, tt.has, b)
			}
		})
	}
}

// opBox matches the DOT line of an op's box (inputs, outputs, params and
// return nodes start with their shape instead).
var opBox = regexp.MustCompile(`(?m)^\s*n\d+ \[id="n\d+", fillcolor=`)

// opTip matches the start of an op's tooltip: its results and name.
// opTipName matches a value name in a DOT tooltip: %name, or a quoted
// %"..." name whose quotes DOT escapes, with an optional #k suffix.
const opTipName = `%(?:\\"(?:[^"\\]|\\\\.)*\\"|[A-Za-z0-9_.]+)(?:#\d+)?`

var opTip = regexp.MustCompile(`tooltip="((?:` + opTipName + `, )*` + opTipName + `) = ([^ ]+) \(`)

// TestGraphSharedModels draws every shared model: one box per op, at
// every depth of regions.
func TestGraphSharedModels(t *testing.T) {
	models := testenv.SharedONNXModels()
	if len(models) == 0 {
		t.Skip("no shared models")
	}
	for _, path := range models {
		t.Run(filepath.Base(path), func(t *testing.T) {
			m, err := onnx.Import(path)
			if err != nil {
				t.Fatal(err)
			}
			want := 0
			for _, f := range m.Funcs {
				want += countOps(f.Body)
			}
			var dump strings.Builder
			if err := ir.Print(&dump, m, ir.PrintOptions{}); err != nil {
				t.Fatal(err)
			}
			m.Close()
			code, stdout, stderr := runCLI("graph", path)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if got := len(opBox.FindAllString(stdout, -1)); got != want {
				t.Errorf("%d op boxes, want %d (the module's ops)", got, want)
			}
			// Tooltips name results as the text form does.
			tips := opTip.FindAllStringSubmatch(stdout, -1)
			for _, tip := range tips {
				names := strings.ReplaceAll(tip[1], `\"`, `"`)
				if line := names + " = " + tip[2] + "("; !strings.Contains(dump.String(), line) {
					t.Errorf("the dump has no %q", line)
					break
				}
			}
			if len(tips) == 0 {
				t.Error("no op tooltips")
			}
		})
	}
}

func countOps(r *ir.Region) int {
	n := 0
	for _, op := range r.Ops {
		n++
		for _, sub := range op.Regions {
			n += countOps(sub)
		}
	}
	return n
}
