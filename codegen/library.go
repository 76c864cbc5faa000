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
)

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
