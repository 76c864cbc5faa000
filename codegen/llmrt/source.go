package llmrt

import _ "embed"

// The runtime's files as Go source, for codegen/llmgen to copy into
// generated packages. Every file but this one and doc.go is listed: the
// shared ones in Common, each weight type's kernel file in Kernels.
var (
	//go:embed half.go
	srcHalf string
	//go:embed actquant.go
	srcActQuant string
	//go:embed kernel.go
	srcKernel string
	//go:embed lanes.go
	srcLanes string
	//go:embed order.go
	srcOrder string
	//go:embed q8k.go
	srcQ8K string
	//go:embed model.go
	srcModel string
	//go:embed session.go
	srcSession string
	//go:embed tokenizer.go
	srcTokenizer string
	//go:embed generate.go
	srcGenerate string
	//go:embed workers.go
	srcWorkers string
	//go:embed attn.go
	srcAttn string
	//go:embed vec_amd64.go
	srcVec string

	//go:embed kern_f32.go
	srcF32 string
	//go:embed kern_f16.go
	srcF16 string
	//go:embed kern_q4_0.go
	srcQ4_0 string
	//go:embed kern_q4_1.go
	srcQ4_1 string
	//go:embed kern_q5_0.go
	srcQ5_0 string
	//go:embed kern_q5_1.go
	srcQ5_1 string
	//go:embed kern_q8_0.go
	srcQ8_0 string
	//go:embed kern_q2_k.go
	srcQ2_K string
	//go:embed kern_q3_k.go
	srcQ3_K string
	//go:embed kern_q4_k.go
	srcQ4_K string
	//go:embed kern_q5_k.go
	srcQ5_K string
	//go:embed kern_q6_k.go
	srcQ6_K string
	//go:embed kern_iq4_nl.go
	srcIQ4_NL string
	//go:embed kern_iq4_xs.go
	srcIQ4_XS string
)

// Common maps the file name of each runtime file every generated package
// holds to its source (package clause "package llmrt").
var Common = map[string]string{
	"half.go":      srcHalf,
	"actquant.go":  srcActQuant,
	"kernel.go":    srcKernel,
	"lanes.go":     srcLanes,
	"order.go":     srcOrder,
	"model.go":     srcModel,
	"session.go":   srcSession,
	"tokenizer.go": srcTokenizer,
	"generate.go":  srcGenerate,
	"workers.go":   srcWorkers,
	"attn.go":      srcAttn,
	// The vector kernels, compiled only by a GOEXPERIMENT=simd build for
	// amd64 (their build constraint and file name say so).
	"vec_amd64.go": srcVec,
}

// Kernel is one weight type's kernel file.
type Kernel struct {
	File   string // its name in the generated package
	Source string
	// NeedsQ8K says the file uses q8k.go's Q8_K block accessors.
	NeedsQ8K bool
}

// Kernels maps ggml type ids to their kernel files.
var Kernels = map[uint32]Kernel{
	typeF32:    {"kern_f32.go", srcF32, false},
	typeF16:    {"kern_f16.go", srcF16, false},
	typeQ4_0:   {"kern_q4_0.go", srcQ4_0, false},
	typeQ4_1:   {"kern_q4_1.go", srcQ4_1, false},
	typeQ5_0:   {"kern_q5_0.go", srcQ5_0, false},
	typeQ5_1:   {"kern_q5_1.go", srcQ5_1, false},
	typeQ8_0:   {"kern_q8_0.go", srcQ8_0, false},
	typeQ2_K:   {"kern_q2_k.go", srcQ2_K, true},
	typeQ3_K:   {"kern_q3_k.go", srcQ3_K, true},
	typeQ4_K:   {"kern_q4_k.go", srcQ4_K, true},
	typeQ5_K:   {"kern_q5_k.go", srcQ5_K, true},
	typeQ6_K:   {"kern_q6_k.go", srcQ6_K, true},
	typeIQ4_NL: {"kern_iq4_nl.go", srcIQ4_NL, false},
	typeIQ4_XS: {"kern_iq4_xs.go", srcIQ4_XS, true},
}

// Q8KFile is q8k.go: the Q8_K accessors the K-quant kernels share.
const Q8KFile = "q8k.go"

// Q8KSource is q8k.go's source.
var Q8KSource = srcQ8K

// LogitOrder is the order in which a compiled package's sampler ranks
// logits (logitOrder), for kiln's own sampler, which must draw the same
// tokens: the indices of logits by decreasing value, equal values by
// increasing index, the first k when 0 < k < len(logits). idx and keys are
// scratch, returned grown.
func LogitOrder(logits []float32, k int, idx []int, keys []uint64) ([]int, []uint64) {
	return logitOrder(logits, k, idx, keys)
}
