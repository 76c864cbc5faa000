package golden

import (
	"fmt"
	"os"

	"golang.org/x/tools/txtar"
)

// Archive is one golden case: a txtar file whose sections hold an input
// and the exact outputs expected for it.
type Archive struct {
	Path string
	ar   *txtar.Archive
}

// ReadArchive reads the txtar file at path.
func ReadArchive(path string) (*Archive, error) {
	ar, err := txtar.ParseFile(path)
	if err != nil {
		return nil, err
	}
	return &Archive{Path: path, ar: ar}, nil
}

// File returns the section called name, and whether there is one.
func (a *Archive) File(name string) (string, bool) {
	for _, f := range a.ar.Files {
		if f.Name == name {
			return string(f.Data), true
		}
	}
	return "", false
}

// Check compares got with section name. With update set, a differing or
// missing section is rewritten in the file instead and Check returns nil;
// without it, a mismatch is an error carrying a -want +got LineDiff.
func (a *Archive) Check(name, got string, update bool) error {
	want, ok := a.File(name)
	if ok && want == got {
		return nil
	}
	if update {
		a.set(name, got)
		return os.WriteFile(a.Path, txtar.Format(a.ar), 0o644)
	}
	if !ok {
		return fmt.Errorf("%s: no section %s (run the test with -update to create it)", a.Path, name)
	}
	return fmt.Errorf("%s: %s mismatch (-want +got):\n%s", a.Path, name, LineDiff(want, got))
}

func (a *Archive) set(name, data string) {
	for i := range a.ar.Files {
		if a.ar.Files[i].Name == name {
			a.ar.Files[i].Data = []byte(data)
			return
		}
	}
	a.ar.Files = append(a.ar.Files, txtar.File{Name: name, Data: []byte(data)})
}
