package codegen

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"

	"github.com/kiln-ml/kiln/codegen/kernels"
	"github.com/kiln-ml/kiln/ir"
)

// Fused epilogues on vectors. A kernel with the vector micro-kernel unit
// applies an epilogue made of Add, Sub, Mul, Div, Relu and Clip (constant
// bounds) to a row through a function of its own written for that
// epilogue with simd/archsimd (8 lanes at a time: the row's value, its
// bias, extras that are one value per row or one per element), in the
// package's epilogue_simd_amd64.go; epilogue_nosimd.go holds the same
// functions returning 0 for other builds, and the CPU check is
// gemmHaveSIMD's. The elements the vector function leaves (the last
// len%8, or all of them) go through the scalar statements. Which elements
// a call covers depends only on where the row starts, which no thread
// count changes, so results stay the same whatever the split.

// vecFunc is one vector epilogue function: its source for the vector
// build and its stand-in for the others.
type vecFunc struct{ simd, stub string }

// epiVecOK reports whether each op of ops has a vector form.
func epiVecOK(ops []*ir.Op) bool {
	for _, e := range ops {
		switch e.Name {
		case "Add", "Sub", "Mul", "Div", "Relu":
		case "Clip":
			if _, _, ok := clipBounds(e); !ok {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// clipBounds returns Clip's constant bounds (absent ones as nil).
func clipBounds(op *ir.Op) (lo, hi *float32, ok bool) {
	var out [2]*float32
	for i := range out {
		if i+1 >= len(op.Args) || op.Args[i+1] == nil {
			continue
		}
		fs, ok := ir.ConstFloats(op.Args[i+1])
		if !ok || len(fs) != 1 {
			return nil, nil, false
		}
		v := float32(fs[0])
		out[i] = &v
	}
	return out[0], out[1], true
}

// rowLoopAt writes the loop applying the epilogue's row statements to the
// row slice row, whose base values are read from the slice src at the
// same index (plus the scalar bias when bias is not ""), extra i from the
// slice ex[i] with stride exStride[i] along the row (extras as the
// epilogue's strides give them), then the rowFn call. With the vector
// unit and an epilogue that has a vector form, a vector function takes
// the row first (registered in g.vecFuncs) and the scalar loop the rest,
// unless the row is known to be shorter than a vector: maxLen bounds its
// length (in a package reading dims at run time, where it may vary with
// them, the vector function is always called, so the code keeps its form).
func (e *epilogue) rowLoopAt(g *graph, row, src, bias string, ex []string, exStride []int, maxLen int) string {
	j := "j"
	in := src + "[j]"
	if bias != "" {
		in = "(" + in + " + " + bias + ")"
	}
	var exj []string
	for i, x := range ex {
		exj = append(exj, fmt.Sprintf("%s[%s]", x, indexExpr([]string{j}, []int{exStride[i]})))
	}
	y := row + "[j]"
	if len(e.rowOps) == 0 && in == y {
		// Nothing but the row function: no loop copying the row onto
		// itself.
		if e.rowFn == "" {
			return ""
		}
		return fmt.Sprintf(e.rowFn, row) + "\n"
	}
	// The vector function also takes the op of the row function when it
	// can (one pass instead of two); the row function then does the
	// elements it leaves.
	ops, res, fnRow := e.rowOps, e.rowResult, row
	if e.rowFn != "" && e.last != nil && epiVecOK([]*ir.Op{e.last}) {
		ops = append(append([]*ir.Op{}, ops...), e.last)
		res, fnRow = e.region.Results[0], row+"[nv:]"
	}
	if call, ok := e.vecCall(g, row, src, bias, ex, exStride, ops, res); ok && (maxLen >= 8 || len(g.ranges) > 0) {
		s := "nv := " + call + "\n" + fmt.Sprintf("for j := nv; j < len(%s); j++ {\n%s}\n", row, e.rowStmt(in, y, exj))
		if e.rowFn != "" {
			s += fmt.Sprintf(e.rowFn, fnRow) + "\n"
		}
		return s
	}
	return e.rowLoop(row, j, in, exj)
}

// vecCall writes the vector function computing ops (the epilogue's,
// ending in result) over these operands and returns its call, or false
// when there is none.
func (e *epilogue) vecCall(g *graph, row, src, bias string, ex []string, exStride []int, ops []*ir.Op, result *ir.Value) (string, bool) {
	if g.tile != kernels.SIMDTile || e.region == nil || !epiVecOK(ops) {
		return "", false
	}
	for _, st := range exStride {
		if st != 0 && st != 1 {
			return "", false
		}
	}
	if len(ops) == 0 && bias == "" {
		return "", false
	}
	var params, args, pre, body []string
	params = append(params, "y, x []float32")
	args = append(args, row, src)
	bc := func(name, val string) string {
		return fmt.Sprintf("%s := archsimd.BroadcastFloat32x8(%s)", name, val)
	}
	load := func(s string) string {
		return fmt.Sprintf("archsimd.LoadFloat32x8((*[8]float32)(%s[j : j+8]))", s)
	}
	body = append(body, "v := "+load("x"))
	if bias != "" {
		params = append(params, "bias float32")
		args = append(args, bias)
		pre = append(pre, bc("bv", "bias"))
		body = append(body, "v = v.Add(bv)")
	}
	vals := map[*ir.Value]string{e.region.Params[0]: "v"}
	for i, x := range ex {
		p := e.region.Params[i+1]
		if exStride[i] == 0 {
			params = append(params, fmt.Sprintf("s%d float32", i))
			args = append(args, x+"[0]")
			pre = append(pre, bc(fmt.Sprintf("sv%d", i), fmt.Sprintf("s%d", i)))
			vals[p] = fmt.Sprintf("sv%d", i)
		} else {
			params = append(params, fmt.Sprintf("r%d []float32", i))
			args = append(args, x)
			pre = append(pre, fmt.Sprintf("r%d = r%d[:n]", i, i))
			body = append(body, fmt.Sprintf("rv%d := %s", i, load(fmt.Sprintf("r%d", i))))
			vals[p] = fmt.Sprintf("rv%d", i)
		}
	}
	nk := 0
	konst := func(f float32) string {
		name := fmt.Sprintf("k%d", nk)
		nk++
		pre = append(pre, bc(name, f32Lit(f)))
		return name
	}
	ref := func(a *ir.Value) (string, bool) {
		if s, ok := vals[a]; ok {
			return s, true
		}
		fs, ok := ir.ConstFloats(a)
		if !ok || len(fs) != 1 {
			return "", false
		}
		return konst(float32(fs[0])), true
	}
	method := map[string]string{"Add": "Add", "Sub": "Sub", "Mul": "Mul", "Div": "Div"}
	for n, op := range ops {
		t := fmt.Sprintf("t%d", n)
		a, ok := ref(op.Args[0])
		if !ok {
			return "", false
		}
		switch op.Name {
		case "Relu":
			z := konst(0)
			body = append(body, fmt.Sprintf("%s := %s.Max(%s).Merge(%s, %s.Equal(%s))", t, a, z, a, a, a))
		case "Clip":
			lo, hi, _ := clipBounds(op)
			x := a
			if lo != nil {
				x = fmt.Sprintf("%s.Max(%s)", x, konst(*lo))
			}
			if hi != nil {
				x = fmt.Sprintf("%s.Min(%s)", x, konst(*hi))
			}
			body = append(body, fmt.Sprintf("%s := %s.Merge(%s, %s.Equal(%s))", t, x, a, a, a))
		default:
			b, ok := ref(op.Args[1])
			if !ok {
				return "", false
			}
			body = append(body, fmt.Sprintf("%s := %s.%s(%s)", t, a, method[op.Name], b))
		}
		vals[op.Results[0]] = t
	}
	res, ok := vals[result]
	if !ok {
		return "", false
	}
	body = append(body, res+".Store((*[8]float32)(y[j : j+8]))")
	code := fmt.Sprintf("(%s) int {\nif !gemmHaveSIMD {\nreturn 0\n}\nn := len(y) / 8 * 8\nx = x[:n]\n%s\nfor j := 0; j < n; j += 8 {\n%s\n}\nreturn n\n}\n",
		strings.Join(params, ", "), strings.Join(pre, "\n"), strings.Join(body, "\n"))
	sum := sha256.Sum256([]byte(code))
	name := "epiVec" + hex.EncodeToString(sum[:6])
	if g.vecFuncs == nil {
		g.vecFuncs = map[string]vecFunc{}
	}
	g.vecFuncs[name] = vecFunc{
		simd: fmt.Sprintf("// %s applies a fused epilogue to y[:n], n = len(y)/8·8, on vectors,\n// and returns n (0 without AVX2 and FMA).\nfunc %s%s", name, name, code),
		stub: fmt.Sprintf("// %s has no vector unit here: the scalar loop does the work.\nfunc %s(%s) int { return 0 }\n", name, name, strings.Join(params, ", ")),
	}
	g.needVec = true
	return name + "(" + strings.Join(args, ", ") + ")", true
}

// epiVecFiles are the package's vector epilogue functions and their
// stand-ins, or none.
func (g *graph) epiVecFiles(opts Options) map[string]string {
	if len(g.vecFuncs) == 0 {
		return nil
	}
	names := make([]string, 0, len(g.vecFuncs))
	for n := range g.vecFuncs {
		names = append(names, n)
	}
	sort.Strings(names)
	var simd, stub strings.Builder
	simd.WriteString(header(opts) + "//go:build goexperiment.simd && amd64\n\npackage " + opts.Package + "\n\nimport \"simd/archsimd\"\n\n")
	stub.WriteString(header(opts) + "//go:build !(goexperiment.simd && amd64)\n\npackage " + opts.Package + "\n\n")
	for _, n := range names {
		simd.WriteString(g.vecFuncs[n].simd + "\n")
		stub.WriteString(g.vecFuncs[n].stub + "\n")
	}
	return map[string]string{"epilogue_simd_amd64.go": simd.String(), "epilogue_nosimd.go": stub.String()}
}
