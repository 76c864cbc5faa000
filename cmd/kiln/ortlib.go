package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ortLibRel is where `make deps` installs ONNX Runtime's CPU library (npm
// package onnxruntime-node), relative to the kiln repository.
const ortLibRel = ".cache/ort/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1"

// errNoORT is wrapped by the error of commands that need ONNX Runtime
// when its library cannot be found or loaded.
var errNoORT = errors.New("ONNX Runtime is not available")

// ortHelp says how to get ONNX Runtime's library.
const ortHelp = "set KILN_ORT_LIB to the path of libonnxruntime.so (ONNX Runtime 1.30's CPU library), or run `make deps` in the kiln repository, which installs it into .cache/ort"

// findORTLibrary returns the path of ONNX Runtime's shared library:
// $KILN_ORT_LIB when set, else .cache/ort/... in the working folder, the
// executable's folder or a folder above either (a kiln checkout where
// `make deps` ran).
func findORTLibrary() (string, error) {
	if p := os.Getenv("KILN_ORT_LIB"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%w: KILN_ORT_LIB: %v; %s", errNoORT, err, ortHelp)
		}
		return p, nil
	}
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if exe, err := os.Executable(); err == nil {
		starts = append(starts, filepath.Dir(exe))
	}
	for _, d := range starts {
		for {
			p := filepath.Join(d, ortLibRel)
			if _, err := os.Stat(p); err == nil {
				return p, nil
			}
			up := filepath.Dir(d)
			if up == d {
				break
			}
			d = up
		}
	}
	return "", fmt.Errorf("%w: its library was not found; %s", errNoORT, ortHelp)
}
