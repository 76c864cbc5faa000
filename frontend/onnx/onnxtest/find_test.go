package onnxtest

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// mkTest makes root/rel/model.onnx (empty) and the given data set folders.
func mkTest(t *testing.T, root, rel string, sets ...string) string {
	t.Helper()
	dir := filepath.Join(root, rel)
	for _, s := range append([]string{""}, sets...) {
		if err := os.MkdirAll(filepath.Join(dir, s), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "model.onnx"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestFindTestsAnyDepth(t *testing.T) {
	root := t.TempDir()
	a := mkTest(t, root, "suite1/test_a", "test_data_set_0")
	b := mkTest(t, root, "deep/er/suite2/test_b")
	g := mkTest(t, root, "suite1/test_[a]")
	nl := mkTest(t, root, "suite1/test_new\nline")
	os.MkdirAll(filepath.Join(root, "empty"), 0o755)
	got, err := FindTests(root)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{b, g, a, nl}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("FindTests(root) = %q, want %q", got, want)
	}
	// A test folder given directly is itself; a folder without tests is
	// an error.
	if got, err := FindTests(a); err != nil || !slices.Equal(got, []string{a}) {
		t.Errorf("FindTests(test) = %q, %v", got, err)
	}
	if _, err := FindTests(filepath.Join(root, "empty")); err == nil {
		t.Error("FindTests(empty folder) succeeded")
	}
}

// A test folder named like a glob pattern sees only its own data sets.
func TestDataSetsLiteral(t *testing.T) {
	root := t.TempDir()
	mkTest(t, root, "test_a", "test_data_set_0", "test_data_set_1")
	g := mkTest(t, root, "test_[a]", "test_data_set_5")
	got, err := dataSets(g)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{filepath.Join(g, "test_data_set_5")}; !slices.Equal(got, want) {
		t.Errorf("dataSets(%q) = %q, want %q", g, got, want)
	}
}
