package codegen

import (
	_ "embed"
	"sort"
	"strings"
)

// The generic kernels of the long tail: functions of codegen/kernels
// (tested there) that take their shapes at run time, written out into a
// package whose kernels call them. Hot ops keep specialized kernels; these
// serve the rare ops and element types once for every instance.
var (
	//go:embed kernels/generic_half.go
	halfSource string
	//go:embed kernels/generic_loss.go
	lossSource string
	//go:embed kernels/generic_math.go
	mathSource string
	//go:embed kernels/generic_window.go
	windowSource string
	//go:embed kernels/generic_index.go
	indexSource string
	//go:embed kernels/generic_norm.go
	normSource string
	//go:embed kernels/generic_runtime.go
	runtimeSource string
	//go:embed kernels/generic_resize.go
	resizeSource string
	//go:embed kernels/generic_sample.go
	sampleSource string
	//go:embed kernels/generic_rnn.go
	rnnSource string
	//go:embed kernels/generic_qlinear.go
	qlinearSource string
	//go:embed kernels/generic_train.go
	trainSource string
	//go:embed kernels/generic_linalg.go
	linalgSource string
	//go:embed kernels/generic_signal.go
	signalSource string
	//go:embed kernels/generic_pool.go
	poolSource string
	//go:embed kernels/generic_dynamic.go
	dynamicSource string
	//go:embed kernels/generic_roi.go
	roiSource string
	//go:embed kernels/generic_text.go
	textSource string
	//go:embed kernels/generic_sequence.go
	sequenceSource string
)

// genericLib is one file of generic kernels: the name it takes in a
// generated package, its source, and the calls that make a package need
// it.
type genericLib struct {
	file  string
	src   *string
	calls []string
}

// genericLibs lists the generic kernel files.
var genericLibs = []genericLib{
	{"half.go", &halfSource, []string{"halfToF32(", "f32ToHalf(", "bf16ToF32(", "f32ToBF16(", "f32RoundOdd("}},
	{"loss.go", &lossSource, []string{"lossNLL("}},
	{"intmath.go", &mathSource, []string{"powInt(", "cumSum("}},
	{"window.go", &windowSource, []string{"convND(", "poolND(", "convInt(", "convTransposeND(", "maxPoolIdx("}},
	{"index.go", &indexSource, []string{"topK(", "scatterElements(", "scatterND(", "gatherND("}},
	{"norm.go", &normSource, []string{"normalize("}},
	{"runtime.go", &runtimeSource, []string{"sliceRT(", "reduceSumRT(", "padRT("}},
	{"resize.go", &resizeSource, []string{"resizeND("}},
	{"sample.go", &sampleSource, []string{"gridSample("}},
	{"rnn.go", &rnnSource, []string{"recurrent["}},
	{"qlinear.go", &qlinearSource, []string{"matMulInt(", "requantize(", "saturateInt32("}},
	{"train.go", &trainSource, []string{"randSource(", "batchNormTrain("}},
	{"linalg.go", &linalgSource, []string{"det(", "einsum("}},
	{"signal.go", &signalSource, []string{"dft(", "stft(", "melWeights("}},
	{"pool.go", &poolSource, []string{"maxUnpool("}},
	{"roi.go", &roiSource, []string{"roiAlign("}},
	{"text.go", &textSource, []string{"tfIdf("}},
	{"sequence.go", &sequenceSource, []string{"seqInsert(", "seqErase(", "seqAt(", "splitSizes(", "splitAxis(", "concatAxis(", "broadcastRT(", "sliceShaped("}},
	{"dynamic.go", &dynamicSource, []string{"nonZero(", "compress(", "unique(", "nonMaxSuppression(", "rangeInt(", "rangeFloat("}},
}

// genericFiles returns the generic kernel files the package's kernels
// call, by file name.
func (g *graph) genericFiles(opts Options) map[string]string {
	out := map[string]string{}
	for _, lib := range genericLibs {
	search:
		for _, fn := range g.funcs {
			for _, c := range lib.calls {
				if strings.Contains(fn.body, c) {
					out[lib.file] = libraryFile(opts, *lib.src)
					break search
				}
			}
		}
	}
	return out
}

// genericFileNames are the names genericFiles may give, sorted.
func genericFileNames() []string {
	var names []string
	for _, lib := range genericLibs {
		names = append(names, lib.file)
	}
	sort.Strings(names)
	return names
}
