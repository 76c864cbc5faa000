package codegen

import (
	_ "embed"
	"strings"
)

// The kernel library files codegen carries into generated packages
// (codegen/kernels, tested there).
var (
	//go:embed kernels/gemm.go
	gemmSource string
	//go:embed kernels/microkernel_generic.go
	microSource string
	//go:embed kernels/mathf.go
	mathfSource string
)

// mathfFuncs are the functions of kernels/mathf.go that kernel bodies call.
var mathfFuncs = []string{"expf(", "sigmoidf(", "tanhf(", "erff("}

// needMathf reports whether a kernel body calls a function of mathf.go.
func needMathf(body string) bool {
	for _, f := range mathfFuncs {
		if strings.Contains(body, f) {
			return true
		}
	}
	return false
}

// mathfFile is the generated package's mathf.go: the float32 exp, sigmoid,
// tanh and erf, in package pkg.
func mathfFile(opts Options) string {
	return header(opts) + strings.Replace(mathfSource, "package kernels", "package "+opts.Package, 1)
}

// gemmFile is the generated package's gemm.go: the packed GEMM and its
// micro-kernel, in package pkg.
func gemmFile(opts Options) string {
	return header(opts) + strings.Replace(stripPackageDoc(gemmSource), "package kernels", "package "+opts.Package, 1) +
		"\n" + stripPackageClause(microSource)
}

// stripPackageClause drops everything up to and including the package
// clause of a kernel library file, to append it to another file of the
// same unit; such a file imports nothing.
func stripPackageClause(src string) string {
	_, rest, ok := strings.Cut(src, "package kernels\n")
	if !ok {
		return src
	}
	return rest
}
