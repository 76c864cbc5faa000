package testenv

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// RepoRoot returns the folder holding go.mod, searching up from the working
// directory (a test's package folder); ok is false when there is none.
func RepoRoot() (dir string, ok bool) {
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

// Shared returns the path of elem under ../shared beside the repository
// root; ok is false when there is no repository root. The path may not exist.
func Shared(elem ...string) (path string, ok bool) {
	root, ok := RepoRoot()
	if !ok {
		return "", false
	}
	return filepath.Join(append([]string{root, "..", "shared"}, elem...)...), true
}

// SharedONNXModels returns the ONNX models in ../shared/models/onnx in
// lexical order, none when that folder is absent.
func SharedONNXModels() []string {
	dir, ok := Shared("models", "onnx")
	if !ok {
		return nil
	}
	models, _ := filepath.Glob(filepath.Join(dir, "*.onnx"))
	return models
}

// SharedONNXModel returns the path of ../shared/models/onnx/name, skipping
// the test when the model is absent.
func SharedONNXModel(tb testing.TB, name string) string {
	tb.Helper()
	p, ok := Shared("models", "onnx", name)
	if !ok {
		tb.Skipf("no shared %s: no go.mod above the test's folder", name)
	}
	if _, err := os.Stat(p); err != nil {
		tb.Skipf("no shared %s: %v", name, err)
	}
	return p
}

// ReferenceInputFiles returns the input .npy files, in the model's input
// order, of the first reference case in ../shared/models/reference/onnx
// (by folder name) recorded for the shared model at modelPath; ok is false
// when there is none.
func ReferenceInputFiles(modelPath string) (files []string, ok bool) {
	ref := filepath.Join(filepath.Dir(modelPath), "..", "reference", "onnx")
	cases, _ := filepath.Glob(filepath.Join(ref, "*", "case.json"))
	sort.Strings(cases)
	for _, c := range cases {
		b, err := os.ReadFile(c)
		if err != nil {
			continue
		}
		var cs struct {
			Model  string `json:"model"`
			Inputs []struct {
				File string `json:"file"`
			} `json:"inputs"`
		}
		if json.Unmarshal(b, &cs) != nil || filepath.Base(cs.Model) != filepath.Base(modelPath) {
			continue
		}
		for _, in := range cs.Inputs {
			files = append(files, filepath.Join(filepath.Dir(c), in.File))
		}
		return files, true
	}
	return nil, false
}
