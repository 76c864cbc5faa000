package codegen

import (
	_ "embed"
	"strings"

	"github.com/kiln-ml/kiln/codegen/kernels"
)

// The kernel library files codegen carries into generated packages
// (codegen/kernels, tested there).
var (
	//go:embed kernels/gemm.go
	gemmSource string
	//go:embed kernels/microkernel_generic.go
	microSource string
	//go:embed kernels/microkernel_simd.go
	microSIMDSource string
	//go:embed kernels/microkernel_simd_amd64.go
	microSIMDAMD64Source string
	//go:embed kernels/microkernel_nosimd.go
	microNoSIMDSource string
	//go:embed kernels/mathf.go
	mathfSource string
	//go:embed kernels/parallel.go
	parallelSource string
	//go:embed kernels/vecmath.go
	vecmathSource string
	//go:embed kernels/vecmath_amd64.go
	vecmathAMD64Source string
	//go:embed kernels/vecmath_novec.go
	vecmathNoVecSource string
)

// libraryFile is a one-file unit of the kernel library as the generated
// package's file, in package pkg.
func libraryFile(opts Options, src string) string {
	return header(opts) + strings.Replace(src, "package kernels", "package "+opts.Package, 1)
}

// mathfFuncs are the functions of kernels/mathf.go that kernel bodies
// call, and those of the vector math unit, which calls them.
var mathfFuncs = append([]string{"expf(", "sigmoidf(", "tanhf(", "erff(", "logf("}, vecmathFuncs...)

// vecmathFuncs are the functions of the vector math unit
// (kernels/vecmath*.go).
var vecmathFuncs = []string{"geluRow(", "expRow(", "clampRow(", "reluRow(", "dotRow("}

// needVecmath reports whether a kernel body calls the vector math unit.
func needVecmath(body string) bool {
	for _, f := range vecmathFuncs {
		if strings.Contains(body, f) {
			return true
		}
	}
	return false
}

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
func mathfFile(opts Options) string { return libraryFile(opts, mathfSource) }

// gemmFiles are the generated package's GEMM files: gemm.go, the packed
// GEMM with the micro-kernel unit Options.SIMD selects, and for the vector
// unit the two files that choose, by build constraint, between the
// archsimd kernel and portable loops.
func gemmFiles(opts Options) map[string]string {
	gemm := header(opts) + strings.Replace(stripPackageDoc(gemmSource), "package kernels", "package "+opts.Package, 1) + "\n"
	if !opts.SIMD {
		return map[string]string{"gemm.go": gemm + stripPackageClause(microSource)}
	}
	// The kiln_simd tag selects the unit inside kiln; a generated package
	// holds only this unit, so its constraints drop the tag.
	tagged := func(src, constraint string) string {
		return header(opts) + "//go:build " + constraint + "\n\npackage " + opts.Package + "\n" + stripPackageClause(src)
	}
	return map[string]string{
		"gemm.go":            gemm + stripPackageClause(microSIMDSource),
		"gemm_simd_amd64.go": tagged(microSIMDAMD64Source, "goexperiment.simd && amd64"),
		"gemm_nosimd.go":     tagged(microNoSIMDSource, "!(goexperiment.simd && amd64)"),
	}
}

// vecmathFiles are the generated package's vector math unit (geluRow,
// expRow, clampRow, reluRow, dotRow; for packages with the vector micro-kernel): vecmath.go and the
// two files that choose, by build constraint, between the archsimd loops
// and none.
func vecmathFiles(opts Options) map[string]string {
	file := func(src, constraint string) string {
		if constraint != "" {
			constraint = "//go:build " + constraint + "\n\n"
		}
		return header(opts) + constraint + "package " + opts.Package + "\n" + stripPackageClause(src)
	}
	return map[string]string{
		"vecmath.go":            file(vecmathSource, ""),
		"vecmath_simd_amd64.go": file(vecmathAMD64Source, "goexperiment.simd && amd64"),
		"vecmath_nosimd.go":     file(vecmathNoVecSource, "!(goexperiment.simd && amd64)"),
	}
}

// tile is the micro-kernel tile the package's GEMM packs for.
func tile(opts Options) kernels.Tile {
	if opts.SIMD {
		return kernels.SIMDTile
	}
	return kernels.GenericTile
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
