package codegen

import (
	"bytes"
	"encoding/json"
	"sort"
	"strconv"
	"strings"

	"github.com/kiln-ml/kiln/ir"
)

// ManifestSchemaVersion is the version of manifest.json's schema
// (docs/manifest.md). It changes when a field changes meaning or goes away;
// new fields do not change it. Version 2: dims read at run time, whose
// min and max are the range the package accepts.
const ManifestSchemaVersion = 2

// Manifest is manifest.json: what a generated package was made from and
// what it holds, for tools and people. docs/manifest.md documents every
// field.
type Manifest struct {
	SchemaVersion int              `json:"schema_version"`
	KilnVersion   string           `json:"kiln_version"`
	Package       string           `json:"package"`
	Source        ManifestSource   `json:"source"`
	Dims          []ManifestDim    `json:"dims"`
	Inputs        []ManifestIO     `json:"inputs"`
	Outputs       []ManifestIO     `json:"outputs"`
	Weights       ManifestBlob     `json:"weights"`
	Memory        ManifestMemory   `json:"memory"`
	Kernels       []ManifestKernel `json:"kernels"`
	Passes        []string         `json:"passes"`
	// Target is the profile the package was compiled for (--target);
	// nil when none was given.
	Target *ManifestTarget `json:"target,omitempty"`
	// Build says how the package wants to be built for the code it holds.
	Build ManifestBuild `json:"build"`
}

// ManifestTarget is the target profile a package was compiled for.
type ManifestTarget struct {
	Name string `json:"name"`
	// Arch is the profile's GOARCH, or "any".
	Arch string `json:"arch"`
	// GOAMD64 is the amd64 level the profile builds for, when it names one.
	GOAMD64 string `json:"goamd64,omitempty"`
	// Features are the instruction-set features the profile allows.
	Features []string `json:"features,omitempty"`
}

// ManifestBuild is what a build of the package should set: the thread
// count is fixed in the code; SIMD packages hold vector code that the
// amd64 build takes with GOEXPERIMENT=simd (other builds use portable
// loops); GOAMD64 is the target profile's level, empty when it names none.
type ManifestBuild struct {
	Threads      int    `json:"threads"`
	SIMD         bool   `json:"simd"`
	GOEXPERIMENT string `json:"goexperiment,omitempty"`
	GOAMD64      string `json:"goamd64,omitempty"`
}

// ManifestSource identifies the source model.
type ManifestSource struct {
	File   string          `json:"file"`
	Format string          `json:"format"`
	SHA256 string          `json:"sha256"`
	Opsets []ManifestOpset `json:"opsets"`
}

// ManifestOpset is one operator set the source model imports.
type ManifestOpset struct {
	Domain  string `json:"domain"`
	Version int64  `json:"version"`
}

// ManifestDim is one symbolic dim: the size it was bound to and the bounds
// the module declares (max -1: unbounded), or for a dim Run reads at run
// time (Runtime), the range the package accepts, Value being its upper
// bound, the size the memory plan is laid out for.
type ManifestDim struct {
	Name    string `json:"name"`
	Value   int64  `json:"value"`
	Min     int64  `json:"min"`
	Max     int64  `json:"max"`
	Runtime bool   `json:"runtime,omitempty"`
}

// ManifestIO is one input or output of the generated Run.
type ManifestIO struct {
	Name          string   `json:"name"`
	GoName        string   `json:"go_name"`
	DType         string   `json:"dtype"`
	Shape         []int    `json:"shape"`
	SymbolicShape []string `json:"symbolic_shape"`
	// HeapAllocated marks an output whose shape depends on the data
	// (NonZero, Unique, ...): its kernel allocates it on the heap on each
	// run, and Shape has -1 for the dims known only then.
	HeapAllocated bool `json:"heap_allocated,omitempty"`
	// Kind is "sequence", "optional" or "optional sequence" for an input
	// or output that is one (empty for a tensor): DType and the shapes
	// are then those of the tensors inside, -1 in Shape for a dim each
	// tensor gives, Shape null for an unknown rank. Such values live on
	// the heap, outside the memory plan.
	Kind string `json:"kind,omitempty"`
}

// ManifestBlob describes the weights blob and the tensors in it.
type ManifestBlob struct {
	Mode    string           `json:"mode"`
	File    string           `json:"file"`
	Bytes   int64            `json:"bytes"`
	SHA256  string           `json:"sha256"`
	Align   int              `json:"align"`
	Tensors []ManifestWeight `json:"tensors"`
}

// ManifestWeight is one tensor in the weights blob.
type ManifestWeight struct {
	Name   string `json:"name"`
	DType  string `json:"dtype"`
	Shape  []int  `json:"shape"`
	Offset int64  `json:"offset"`
	Bytes  int64  `json:"bytes"`
	// Layout names a compile-time rearrangement of the elements (the
	// GEMM's packed panels); empty when they are stored as in the model.
	Layout string `json:"layout,omitempty"`
}

// ManifestMemory is the memory plan of a session.
type ManifestMemory struct {
	ArenaBytes   int64            `json:"arena_bytes"`
	ScratchBytes int64            `json:"scratch_bytes"`
	PeakBytes    int64            `json:"predicted_peak_bytes"`
	LiveBytesMax int64            `json:"max_live_bytes"`
	Buffers      []ManifestBuffer `json:"buffers"`
	// AtUpperBounds says that the sizes are those at the upper bounds of
	// the dims read at run time: the worst case, which the arena holds
	// (offsets are fixed; smaller inputs use the start of each buffer).
	AtUpperBounds bool `json:"at_upper_bounds,omitempty"`
}

// ManifestBuffer is one arena buffer: its arena (one per element type),
// byte offset in it and size, the live range
// as indices into the calls of Run (first write, last read), and the values
// it holds (views and in-place results share their source's buffer).
type ManifestBuffer struct {
	Arena  string   `json:"arena"`
	Offset int64    `json:"offset"`
	Bytes  int64    `json:"bytes"`
	Start  int      `json:"start"`
	End    int      `json:"end"`
	Values []string `json:"values"`
	// Scratch says what a buffer holding no value is for: "im2col", a
	// Conv kernel's columns, live during its call only.
	Scratch string `json:"scratch,omitempty"`
}

// ManifestKernel is one generated kernel function.
type ManifestKernel struct {
	Func       string   `json:"func"`
	Op         string   `json:"op"`
	Shapes     string   `json:"shapes"`
	Calls      int      `json:"calls"`
	FLOPs      int64    `json:"flops"`
	BytesMoved int64    `json:"bytes_moved"`
	Nodes      []string `json:"nodes"`
	// RuntimeDims names the dims the kernel reads at run time (its
	// shapes, flops and bytes are then those at their upper bounds).
	RuntimeDims []string `json:"runtime_dims,omitempty"`
}

// JSON returns the manifest as indented JSON with a final newline.
func (m *Manifest) JSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func (g *graph) manifest(opts Options) *Manifest {
	man := &Manifest{
		SchemaVersion: ManifestSchemaVersion,
		KilnVersion:   opts.KilnVersion,
		Package:       opts.Package,
		Source:        ManifestSource{File: opts.Source.Name, Format: opts.Source.Format, SHA256: opts.Source.SHA256, Opsets: []ManifestOpset{}},
		Dims:          []ManifestDim{},
		Passes:        append([]string{}, opts.Passes...),
		Target:        opts.Target,
		Build:         ManifestBuild{Threads: opts.Threads, SIMD: opts.SIMD},
	}
	if opts.SIMD {
		man.Build.GOEXPERIMENT = "simd"
	}
	if opts.Target != nil {
		man.Build.GOAMD64 = opts.Target.GOAMD64
	}
	for _, e := range g.m.Meta {
		if d, ok := strings.CutPrefix(e.Key, "source.opset."); ok {
			if v, err := strconv.ParseInt(e.Value, 10, 64); err == nil {
				man.Source.Opsets = append(man.Source.Opsets, ManifestOpset{Domain: d, Version: v})
			}
		}
	}
	var names []string
	for n := range g.bind {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		d := ManifestDim{Name: n, Value: g.bind[n], Min: 0, Max: -1}
		for _, s := range g.m.Syms {
			if s.Name == n {
				d.Min, d.Max = s.Min, s.Max
			}
		}
		for _, r := range g.ranges {
			if r.name == n {
				d.Min, d.Max, d.Runtime = r.lo, r.hi, true
			}
		}
		man.Dims = append(man.Dims, d)
	}
	io := func(names []string, vals []*val, decl []ir.Shape) []ManifestIO {
		out := []ManifestIO{}
		gn := goNames(names)
		for i, x := range vals {
			sym := make([]string, len(decl[i].Dims))
			for j, d := range decl[i].Dims {
				sym[j] = d.String()
			}
			io := ManifestIO{Name: names[i], GoName: gn[i], DType: x.dtype.String(), Shape: x.shape, SymbolicShape: sym, HeapAllocated: x.where == inHeap}
			if k := x.v.Type.Kind; k != ir.TensorKind {
				io.Kind, io.HeapAllocated, io.SymbolicShape = ioKind(x.v.Type), false, nil
				if leaf, err := leafType(x.v.Type); err == nil && leaf.Shape.Ranked {
					for _, d := range leaf.Shape.Dims {
						io.SymbolicShape = append(io.SymbolicShape, d.String())
					}
				}
			}
			out = append(out, io)
		}
		return out
	}
	var outs []*val
	for _, r := range g.f.Body.Results {
		outs = append(outs, g.vals[r])
	}
	man.Inputs = io(g.f.InputNames, g.inputs, g.declared[:len(g.inputs)])
	man.Outputs = io(g.f.OutputNames, outs, g.declared[len(g.inputs):])
	man.Weights = ManifestBlob{Mode: string(opts.Weights), File: WeightsFileName, Bytes: g.blobLen(), SHA256: g.weightsSHA, Align: weightAlign, Tensors: []ManifestWeight{}}
	for i, w := range g.weights {
		man.Weights.Tensors = append(man.Weights.Tensors, ManifestWeight{Name: w.v.Const.Name, DType: w.v.Type.DType.String(), Shape: w.shape, Offset: g.weightOff[i], Bytes: int64(len(w.weightBytes())), Layout: w.layout})
	}
	mem := ManifestMemory{Buffers: []ManifestBuffer{}}
	for _, d := range storedTypes {
		mem.ArenaBytes += int64(g.arenaLen[d]) * int64(d.Size())
	}
	if g.needGemm {
		mem.ScratchBytes += gemmScratchBytes * int64(max(1, opts.Threads))
	}
	mem.PeakBytes = mem.ArenaBytes + mem.ScratchBytes
	for i := range g.calls {
		var live int64
		for _, b := range g.bufs {
			if b.start <= i && i <= b.end {
				live += int64(b.size) * int64(b.dtype.Size())
			}
		}
		mem.LiveBytesMax = max(mem.LiveBytesMax, live)
	}
	for _, b := range g.bufs {
		sz := int64(b.dtype.Size())
		mb := ManifestBuffer{Arena: b.dtype.String(), Offset: int64(b.offset) * sz, Bytes: int64(b.size) * sz, Start: b.start, End: b.end, Values: []string{}, Scratch: b.scratch}
		for _, v := range b.values {
			mb.Values = append(mb.Values, v.v.Name)
		}
		mem.Buffers = append(mem.Buffers, mb)
	}
	mem.AtUpperBounds = len(g.ranges) > 0
	man.Memory = mem
	nodes := map[*kfunc][]string{}
	for _, c := range g.calls {
		if c.fn != nil {
			nodes[c.fn] = append(nodes[c.fn], nodeName(c.op))
		}
	}
	man.Kernels = []ManifestKernel{}
	for _, fn := range g.funcs {
		man.Kernels = append(man.Kernels, ManifestKernel{Func: fn.name, Op: fn.op, Shapes: fn.shapes, Calls: fn.uses, FLOPs: fn.flops, BytesMoved: fn.bytes, Nodes: nodes[fn], RuntimeDims: g.runtime[fn.name]})
	}
	return man
}

// gemmScratchBytes is the packing scratch of the GEMM in kernels/gemm.go
// (gemmScratchLen float32s); a test keeps the two in step.
const gemmScratchBytes = 4 * (64*256 + 256*512)
