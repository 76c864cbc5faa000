package codegen

import (
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"strings"
	"testing"
)

// TestGenericLibsStandAlone type-checks each generic kernel file alone, as
// the package that uses only it holds it: a file calling a function of
// another would not build. It also checks that every function a file's
// calls list names is declared in it.
func TestGenericLibsStandAlone(t *testing.T) {
	for _, lib := range genericLibs {
		fset := token.NewFileSet()
		src := libraryFile(Options{Package: "model"}, *lib.src)
		f, err := parser.ParseFile(fset, lib.file, src, 0)
		if err != nil {
			t.Fatalf("%s: %v", lib.file, err)
		}
		conf := types.Config{Importer: importer.ForCompiler(fset, "source", nil)}
		if _, err := conf.Check("model", fset, []*ast.File{f}, nil); err != nil {
			t.Errorf("%s does not type-check alone: %v", lib.file, err)
		}
		declared := map[string]bool{}
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok {
				declared[fd.Name.Name] = true
			}
		}
		for _, c := range lib.calls {
			if name := strings.TrimRight(c, "(["); !declared[name] {
				t.Errorf("%s: calls lists %s, which the file does not declare", lib.file, name)
			}
		}
	}
}
