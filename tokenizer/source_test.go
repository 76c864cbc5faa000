package tokenizer

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// keptBehind are the files of this folder that compiled packages do not
// carry (source.go says why).
var keptBehind = []string{"doc.go", "gen_nfd.go", "gguf.go", "new.go", "source.go"}

// TestSources: every non-test Go file of the folder is either carried into
// compiled packages (Sources) or kept behind, never both; the carried
// files are the ones on disk and import only the standard library; a
// non-WordPiece package leaves out wpm.go and the NFD table.
func TestSources(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	carried := SourceNames()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		in, out := slices.Contains(carried, f), slices.Contains(keptBehind, f)
		if in == out {
			t.Errorf("%s: carried %v, kept behind %v: list it in exactly one of Sources and keptBehind", f, in, out)
		}
	}
	for _, f := range Sources(ModelWPM) {
		disk, err := os.ReadFile(f.Name)
		if err != nil {
			t.Fatal(err)
		}
		if string(disk) != f.Text {
			t.Errorf("%s: the embedded text is not the file's", f.Name)
		}
		parsed, err := parser.ParseFile(token.NewFileSet(), f.Name, f.Text, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range parsed.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if first, _, _ := strings.Cut(path, "/"); strings.Contains(first, ".") {
				t.Errorf("%s imports %s, outside the standard library", f.Name, path)
			}
		}
	}
	for _, model := range []string{ModelSPM, ModelBPE} {
		for _, f := range Sources(model) {
			if f.Name == "wpm.go" || f.Name == "nfd_table.go" {
				t.Errorf("Sources(%q) carries %s", model, f.Name)
			}
		}
	}
}

// TestWithoutWordPiece: a build without wpm.go (a compiled package whose
// vocabulary is not WordPiece) refuses a WordPiece vocabulary instead of
// encoding with a missing table.
func TestWithoutWordPiece(t *testing.T) {
	v, err := NewVocab(ModelWPM, "")
	if err != nil {
		t.Fatal(err)
	}
	v.Tokens = []string{"[PAD]", "[UNK]", "▁a"}
	v.PAD, v.UNK, v.BOS, v.SEP, v.AddBOS = 0, 1, NoToken, NoToken, false
	saved := wordPiece
	wordPiece = nil
	defer func() { wordPiece = saved }()
	if _, err := New(v); err == nil || !strings.Contains(err.Error(), "WordPiece") {
		t.Errorf("New without WordPiece: %v", err)
	}
	wordPiece = saved
	if _, err := New(v); err != nil {
		t.Errorf("New with WordPiece: %v", err)
	}
}
