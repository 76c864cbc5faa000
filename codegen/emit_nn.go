package codegen

import (
	"fmt"
	"strings"

	"github.com/kiln-ml/kiln/codegen/kernels"
	"github.com/kiln-ml/kiln/ir"
)

func init() {
	emitters["Conv"] = emitConv
	emitters["MatMul"] = emitMatMul
	emitters["Gemm"] = emitGemm
	emitters["MaxPool"] = emitPool
	emitters["AveragePool"] = emitPool
	emitters["GlobalAveragePool"] = emitGlobalAveragePool
	emitters["Softmax"] = emitSoftmax
	emitters["Transpose"] = emitTranspose
	emitters["Concat"] = emitConcat
	emitters["BatchNormalization"] = emitBatchNorm
}

// window2D resolves the two spatial windows of a Conv or pooling op over
// an input of spatial size h×w.
func window2D(op *ir.Op, kernel []int64, h, w int, ceil bool) (oh, ow int, ws [2]ir.Window, err error) {
	wins, err := ir.Windows(2, kernel, op.Ints("strides"), ir.WindowDilations(op), op.Ints("pads"))
	if err != nil {
		return 0, 0, ws, err
	}
	var outs [2]int64
	for i, in := range []int{h, w} {
		outs[i], ws[i], err = wins[i].Resolve(int64(in), op.Str("auto_pad"), ceil)
		if err != nil {
			return 0, 0, ws, err
		}
	}
	return int(outs[0]), int(outs[1]), ws, nil
}

// emitConv writes a 2-D convolution. Depthwise convolutions (one input and
// one output channel per group) get a direct loop; every other one is the
// packed GEMM per group: on the input itself for 1×1, stride 1, unpadded;
// an implicit GEMM over the zero-padded input for other stride-1 ones
// (gemmIm, its output rows moved into Y after it); im2col for the rest.
// The bias and a fused epilogue are applied to each block of the output
// as the GEMM finishes it (or to each row as it is moved into Y).
func emitConv(c *opCtx) (*kernel, error) {
	xs, wsh, ys, err := c.binaryShapes()
	if err != nil {
		return nil, err
	}
	if len(xs) != 4 || len(wsh) != 4 {
		return nil, fmt.Errorf("codegen handles 2-D convolutions only; X is %s", typeText(xs))
	}
	hasBias := len(c.op.Args) > 2 && c.op.Args[2] != nil
	kernelShape := c.op.Ints("kernel_shape")
	if kernelShape == nil {
		kernelShape = []int64{int64(wsh[2]), int64(wsh[3])}
	}
	N, C, H, W := xs[0], xs[1], xs[2], xs[3]
	M, Cg, KH, KW := wsh[0], wsh[1], wsh[2], wsh[3]
	G := int(c.op.Int("group"))
	OH, OW, win, err := window2D(c.op, kernelShape, H, W, false)
	if err != nil {
		return nil, err
	}
	if G < 1 || C%G != 0 || M%G != 0 || Cg != C/G || OH != ys[2] || OW != ys[3] || ys[1] != M || ys[0] != N {
		return nil, fmt.Errorf("inconsistent shapes: X %s, W %s, group %d, Y %s", typeText(xs), typeText(wsh), G, typeText(ys))
	}
	SH, SW := int(win[0].Stride), int(win[1].Stride)
	DH, DW := int(win[0].Dilation), int(win[1].Dilation)
	PT, PL := int(win[0].PadBegin), int(win[1].PadBegin)
	Mg := M / G
	OHW := OH * OW
	K := Cg * KH * KW
	in := []*ir.Value{c.op.Args[0], c.op.Args[1]}
	params := []string{"x", "w"}
	if hasBias {
		in = append(in, c.op.Args[2])
		params = append(params, "b")
	}
	params = append(params, "y")
	shapes := fmt.Sprintf("%s, %s -> %s", typeText(xs), typeText(wsh), typeText(ys))
	desc := fmt.Sprintf("Conv %s, group %d, stride %dx%d, dilation %dx%d, pads %d,%d,%d,%d", shapes, G, SH, SW, DH, DW, PT, PL, win[0].PadEnd, win[1].PadEnd)
	k := &kernel{in: in, params: params, nout: 1, shapes: shapes, flops: 2 * int64(N) * int64(M) * int64(OHW) * int64(K)}
	var b strings.Builder
	// A constant W is stored packed for the GEMM, group after group.
	var wPack *weightPack
	if G != C || M != C {
		if wc := throughViews(c.op.Args[1]); wc.IsConst() {
			if _, ok := constF32(wc, numel(wsh)); ok {
				p := packA(c.g.tile, G, Mg, K)
				wPack = &p
				k.packed = map[int]weightPack{1: p}
				k.in[1] = wc
			}
		}
	}
	wLen := numel(wsh)
	if wPack != nil {
		wLen = wPack.n
	}
	fmt.Fprintf(&b, "x = x[:%d]\nw = w[:%d]\ny = y[:%d]\n", numel(xs), wLen, numel(ys))
	if hasBias {
		fmt.Fprintf(&b, "b = b[:%d]\n", M)
	}
	if G == C && M == C {
		k.comment = desc + ": depthwise, direct"
		d := depthwise{
			N: N, C: C, H: H, W: W, OH: OH, OW: OW, KH: KH, KW: KW,
			SH: SH, SW: SW, DH: DH, DW: DW, PT: PT, PL: PL, bias: hasBias,
			vec: c.g.tile == kernels.SIMDTile, epi: c.epi, par: c.parallel(N * C * OH * OW), g: c.g,
		}
		body, vec := depthwiseBody(d)
		k.body = b.String() + body
		k.vec = vec
		k.par = d.par
		k.epiDone = c.epi != nil
		return k, nil
	}
	k.gemm = true
	PB, PR := int(win[0].PadEnd), int(win[1].PadEnd)
	direct := KH == 1 && KW == 1 && SH == 1 && SW == 1 && PT == 0 && PL == 0 && PB == 0 && PR == 0
	// A stride-1 convolution is an implicit GEMM over the zero-padded
	// input: with the output computed at every column of the padded width
	// WP (the last KW-1 of each row are not outputs), row (c, kh, kw) of B
	// is the padded input shifted by c·HP·WP + kh·DH·WP + kw·DW, so the
	// GEMM packs its panels straight from it (gemmIm), and each block of
	// the wide output is moved into Y by the epilogue.
	HP, WP := H+PT+PB, W+PL+PR
	implicit := !direct && SH == 1 && SW == 1 && min(PT, PL, PB, PR) >= 0 && HP-DH*(KH-1) == OH && WP-DW*(KW-1) == OW
	fmt.Fprintf(&b, "for n := 0; n < %d; n++ {\nfor g := 0; g < %d; g++ {\n", N, G)
	fmt.Fprintf(&b, "xg := x[(n*%d+g*%d)*%d : (n*%d+(g+1)*%d)*%d]\n", C, Cg, H*W, C, Cg, H*W)
	fmt.Fprintf(&b, "yg := y[(n*%d+g*%d)*%d : (n*%d+(g+1)*%d)*%d]\n", M, Mg, OHW, M, Mg, OHW)
	src, bPacked := "xg", false
	img, NW := Cg*HP*WP, (OH-1)*WP+OW
	switch {
	case direct:
		k.comment = desc + ": 1x1, GEMM on the input"
	case implicit:
		k.comment = desc + ": implicit GEMM on the padded input"
		k.colLen = img + Mg*NW
		src = "xp"
		fmt.Fprintf(&b, "xp := col[:%d]\ncw := col[%d:%d]\n", img, img, img+Mg*NW)
		fmt.Fprintf(&b, "for c := 0; c < %d; c++ {\nxc := xg[c*%d : (c+1)*%d]\npc := xp[c*%d : (c+1)*%d]\n", Cg, H*W, H*W, HP*WP, HP*WP)
		if PT > 0 {
			fmt.Fprintf(&b, "clear(pc[:%d])\n", PT*WP)
		}
		fmt.Fprintf(&b, "for ih := 0; ih < %d; ih++ {\nr := pc[(ih+%d)*%d : (ih+%d)*%d]\n", H, PT, WP, PT+1, WP)
		if PL > 0 {
			fmt.Fprintf(&b, "clear(r[:%d])\n", PL)
		}
		fmt.Fprintf(&b, "copy(r[%d:%d], xc[ih*%d:(ih+1)*%d])\n", PL, PL+W, W, W)
		if PR > 0 {
			fmt.Fprintf(&b, "clear(r[%d:])\n", PL+W)
		}
		b.WriteString("}\n")
		if PB > 0 {
			fmt.Fprintf(&b, "clear(pc[%d:])\n", (PT+H)*WP)
		}
		b.WriteString("}\n")
	default:
		// im2col writes B straight into the GEMM's packed panel layout
		// (row p of B at step p of each panel of NR columns, the last
		// panel padded with zeros), so the GEMM does not copy it again.
		k.comment = desc + ": im2col into packed panels and GEMM"
		NR := c.g.tile.Cols
		k.colLen = c.g.tile.PackedLenB(K, OHW)
		src = "col"
		bPacked = true
		fmt.Fprintf(&b, `for c := 0; c < %[1]d; c++ {
xc := xg[c*%[2]d : (c+1)*%[2]d]
for kh := 0; kh < %[3]d; kh++ {
for kw := 0; kw < %[4]d; kw++ {
o, jj := ((c*%[3]d+kh)*%[4]d+kw)*%[5]d, 0
for oh := 0; oh < %[6]d; oh++ {
ih := oh*%[8]d - %[9]d + kh*%[10]d
inRow := ih >= 0 && ih < %[11]d
for ow := 0; ow < %[7]d; ow++ {
iw := ow*%[13]d - %[14]d + kw*%[15]d
v := float32(0)
if inRow && iw >= 0 && iw < %[12]d {
v = xc[ih*%[12]d+iw]
}
col[o+jj] = v
if jj++; jj == %[5]d {
jj, o = 0, o+%[16]d
}
}
}
for ; jj > 0 && jj < %[5]d; jj++ {
col[o+jj] = 0
}
}
}
}
`, Cg, H*W, KH, KW, NR, OH, OW, SH, PT, DH, H, W, SW, PL, DW, NR*K)
	}
	// The bias and the fused epilogue, if any, are applied to each block
	// of the GEMM's output as it is finished (gemmEpi), while in cache.
	// An extra operand must be indexable along the flattened spatial
	// dims by one stride.
	fuse := c.epi != nil
	if fuse {
		for _, st := range c.epi.strides {
			if st[2] != OW*st[3] {
				fuse = false
			}
		}
	}
	// rowEpi writes the bias and the fused epilogue over the output row
	// yr, whose first element is output position jo of channel m, its
	// values read at in(j).
	rowEpi := func(b *strings.Builder, jo, src string, maxLen int) {
		bias := ""
		if hasBias {
			b.WriteString("bm := b[m]\n")
			bias = "bm"
		}
		if fuse {
			var ex []string
			var exSt []int
			for i, st := range c.epi.strides {
				fmt.Fprintf(b, "e%d := ex%d[%s:]\n", i, i, indexExpr([]string{"n", "m", jo}, []int{st[0], st[1], st[3]}))
				ex = append(ex, fmt.Sprintf("e%d", i))
				exSt = append(exSt, st[3])
			}
			b.WriteString(c.epi.rowLoopAt(c.g, "yr", src, bias, ex, exSt, maxLen))
			k.epiDone = true
		} else if bias != "" || src != "yr" {
			fmt.Fprintf(b, "for j := range yr {\nyr[j] = %s[j]", src)
			if bias != "" {
				b.WriteString(" + bm")
			}
			b.WriteString("\n}\n")
		}
	}
	epiArg := "nil"
	post := ""
	switch {
	case implicit:
		// After the GEMM, each row of the wide output that is an output
		// row (channel m, row oh: columns [oh·WP, oh·WP+OW)) goes to Y
		// with the bias and the fused epilogue; rows are split over the
		// threads whole, so each element is computed alike whatever the
		// split.
		var pb strings.Builder
		par := c.parallel(Mg * OHW)
		if par {
			k.par = true
			fmt.Fprintf(&pb, "parallelFor(%d, threads, func(lo, hi int) {\nfor r := (lo + %d) / %d; r < (hi+%d)/%d; r++ {\n", Mg*OHW, OW-1, OW, OW-1, OW)
		} else {
			fmt.Fprintf(&pb, "for r := 0; r < %d; r++ {\n", Mg*OH)
		}
		fmt.Fprintf(&pb, "i, oh := r/%d, r%%%d\nm := g*%d + i\n_ = m\njo := oh * %d\n_ = jo\n", OH, OH, Mg, OW)
		fmt.Fprintf(&pb, "yr := yg[r*%d : (r+1)*%d]\ncs := cw[i*%d+oh*%d:][:%d]\n", OW, OW, NW, WP, OW)
		if !hasBias && !fuse {
			pb.WriteString("copy(yr, cs)\n")
		} else {
			rowEpi(&pb, "jo", "cs", OW)
		}
		pb.WriteString("}\n")
		if par {
			pb.WriteString("})\n")
		}
		post = pb.String()
	case hasBias || fuse:
		epiArg = "epi"
		fmt.Fprintf(&b, "epi := func(i0, j0, mb, nb int) {\nfor i := i0; i < i0+mb; i++ {\nm := g*%d + i\n_ = m\nyr := yg[i*%d+j0 : i*%d+j0+nb]\n", Mg, OHW, OHW)
		rowEpi(&b, "j0", "yr", OHW)
		b.WriteString("}\n}\n")
	}
	am := fmt.Sprintf("gemmMat{data: w[g*%d:], rs: %d, cs: 1}", Mg*K, K)
	if wPack != nil {
		am = fmt.Sprintf("gemmMat{data: w[g*%d:], packed: true}", wPack.n/G)
	}
	bm := fmt.Sprintf("gemmMat{data: %s, rs: %d, cs: 1}", src, OHW)
	if bPacked {
		bm = fmt.Sprintf("gemmMat{data: %s, packed: true}", src)
	}
	cOut, nOut := "yg", OHW
	if implicit {
		bm = fmt.Sprintf("gemmMat{data: xp, im: gemmIm{kh: %d, kw: %d, plane: %d, dh: %d, dw: %d}}", KH, KW, HP*WP, DH*WP, DW)
		cOut, nOut = "cw", NW
	}
	if epiArg == "nil" {
		fmt.Fprintf(&b, "gemm(%d, %d, %d, %s, %s, %s, %d, false, pack, threads)\n", Mg, nOut, K, am, bm, cOut, nOut)
	} else {
		fmt.Fprintf(&b, "gemmEpi(%d, %d, %d, %s, %s, %s, %d, false, pack, threads, %s)\n", Mg, nOut, K, am, bm, cOut, nOut, epiArg)
	}
	b.WriteString(post)
	b.WriteString("}\n}\n")
	k.body = b.String()
	return k, nil
}

// emitMatMul writes a (batched, broadcasting) matrix product as one GEMM
// per output matrix; a 1-D operand is a row (A) or column (B) vector.
func emitMatMul(c *opCtx) (*kernel, error) {
	as, bs, ys, err := c.binaryShapes()
	if err != nil {
		return nil, err
	}
	a2, b2 := as, bs
	if len(a2) == 1 {
		a2 = []int{1, as[0]}
	}
	if len(b2) == 1 {
		b2 = []int{bs[0], 1}
	}
	if len(a2) < 2 || len(b2) < 2 {
		return nil, fmt.Errorf("operands %s and %s: want rank 1 or more", typeText(as), typeText(bs))
	}
	M, K := a2[len(a2)-2], a2[len(a2)-1]
	K2, N := b2[len(b2)-2], b2[len(b2)-1]
	if K != K2 {
		return nil, fmt.Errorf("inner dims differ: %s × %s", typeText(as), typeText(bs))
	}
	ab, bb := a2[:len(a2)-2], b2[:len(b2)-2]
	r := max(len(ab), len(bb))
	batch := make([]int, r)
	for i := range batch {
		da, db := 1, 1
		if j := i - (r - len(ab)); j >= 0 {
			da = ab[j]
		}
		if j := i - (r - len(bb)); j >= 0 {
			db = bb[j]
		}
		if da != db && da != 1 && db != 1 {
			return nil, fmt.Errorf("batch dims do not broadcast: %s × %s", typeText(as), typeText(bs))
		}
		batch[i] = max(da, db)
	}
	nb := numel(batch)
	if nb*M*N != numel(ys) {
		return nil, fmt.Errorf("result %s does not match %s × %s", typeText(ys), typeText(as), typeText(bs))
	}
	shapes := fmt.Sprintf("%s, %s -> %s", typeText(as), typeText(bs), typeText(ys))
	var b strings.Builder
	fmt.Fprintf(&b, "a = a[:%d]\nb = b[:%d]\ny = y[:%d]\n", numel(as), numel(bs), numel(ys))
	offset := func(opBatch []int, mat int) string {
		// The operand's offset for flat output batch index bi.
		var terms []string
		stride := mat
		outStride := 1
		for i := r - 1; i >= 0; i-- {
			j := i - (r - len(opBatch))
			if j >= 0 && opBatch[j] != 1 {
				terms = append(terms, fmt.Sprintf("(bi/%d%%%d)*%d", outStride, batch[i], stride))
				stride *= opBatch[j]
			}
			outStride *= batch[i]
		}
		if len(terms) == 0 {
			return "0"
		}
		return strings.Join(terms, "+")
	}
	// A constant B that every batch shares is stored packed for the GEMM.
	bm := fmt.Sprintf("gemmMat{data: b[bo:], rs: %d, cs: 1}", N)
	var packed map[int]weightPack
	if _, ok := constF32(c.op.Args[1], numel(bs)); ok && numel(bb) == 1 {
		p := packB(c.g.tile, K, N, N, 1)
		packed = map[int]weightPack{1: p}
		bm = "gemmMat{data: b, packed: true}"
		b.Reset()
		fmt.Fprintf(&b, "a = a[:%d]\nb = b[:%d]\ny = y[:%d]\n", numel(as), p.n, numel(ys))
	}
	call := fmt.Sprintf("gemm(%d, %d, %d, gemmMat{data: a[ao:], rs: %d, cs: 1}, %s, y[bi*%d:], %d, false, pack, threads)\n", M, N, K, K, bm, M*N, N)
	// A fused epilogue is applied to each block of the output as the GEMM
	// finishes it (operands of rank 2 or more, so the output's last two
	// dims are the product's rows and columns).
	epiDone := false
	if c.epi != nil && len(as) >= 2 && len(bs) >= 2 && len(ys) == r+2 {
		var eb strings.Builder
		fmt.Fprintf(&eb, "epi := func(i0, j0, mb, nb int) {\nfor i := i0; i < i0+mb; i++ {\nyr := y[bi*%d+i*%d+j0 : bi*%d+i*%d+j0+nb]\n", M*N, N, M*N, N)
		var ex []string
		var exSt []int
		for i, st := range c.epi.strides {
			terms := []string{}
			outStride := 1
			for d := r - 1; d >= 0; d-- {
				if st[d] != 0 {
					terms = append(terms, fmt.Sprintf("(bi/%d%%%d)*%d", outStride, batch[d], st[d]))
				}
				outStride *= batch[d]
			}
			if t := indexExpr([]string{"i", "j0"}, st[r:]); t != "0" {
				terms = append(terms, t)
			}
			off := "0"
			if len(terms) > 0 {
				off = strings.Join(terms, "+")
			}
			fmt.Fprintf(&eb, "e%d := ex%d[%s:]\n", i, i, off)
			ex = append(ex, fmt.Sprintf("e%d", i))
			exSt = append(exSt, st[r+1])
		}
		eb.WriteString(c.epi.rowLoopAt(c.g, "yr", "yr", "", ex, exSt, N) + "}\n}\n")
		call = eb.String() + fmt.Sprintf("gemmEpi(%d, %d, %d, gemmMat{data: a[ao:], rs: %d, cs: 1}, %s, y[bi*%d:], %d, false, pack, threads, epi)\n", M, N, K, K, bm, M*N, N)
		epiDone = true
	}
	bo := "bo := " + offset(bb, K*N) + "\n"
	if packed != nil {
		bo = ""
	}
	if nb == 1 {
		fmt.Fprintf(&b, "ao, bi := 0, 0\n%s%s", bo, call)
	} else {
		fmt.Fprintf(&b, "for bi := 0; bi < %d; bi++ {\nao := %s\n%s%s}\n", nb, offset(ab, M*K), bo, call)
	}
	return &kernel{
		in: c.op.Args[:2], params: []string{"a", "b", "y"}, nout: 1,
		comment: "MatMul " + shapes, body: b.String(), shapes: shapes,
		flops: 2 * int64(nb) * int64(M) * int64(N) * int64(K), gemm: true, packed: packed, epiDone: epiDone,
	}, nil
}

// emitGemm writes Y = alpha·A'·B' + beta·C with the transposes as strides.
func emitGemm(c *opCtx) (*kernel, error) {
	as, bs, ys, err := c.binaryShapes()
	if err != nil {
		return nil, err
	}
	if len(as) != 2 || len(bs) != 2 || len(ys) != 2 {
		return nil, fmt.Errorf("want 2-D operands, have %s and %s", typeText(as), typeText(bs))
	}
	ta, tb := c.op.Int("transA") != 0, c.op.Int("transB") != 0
	M, K := as[0], as[1]
	ars, acs := K, 1
	if ta {
		M, K = as[1], as[0]
		ars, acs = 1, M
	}
	K2, N := bs[0], bs[1]
	brs, bcs := N, 1
	if tb {
		K2, N = bs[1], bs[0]
		brs, bcs = 1, K2
	}
	if K != K2 || ys[0] != M || ys[1] != N {
		return nil, fmt.Errorf("inconsistent shapes %s, %s -> %s", typeText(as), typeText(bs), typeText(ys))
	}
	alpha, beta := c.op.Float("alpha"), c.op.Float("beta")
	in := []*ir.Value{c.op.Args[0], c.op.Args[1]}
	params := []string{"a", "b"}
	shapes := fmt.Sprintf("%s, %s", typeText(as), typeText(bs))
	var b strings.Builder
	// A constant B is stored packed for the GEMM.
	bm := fmt.Sprintf("gemmMat{data: b, rs: %d, cs: %d}", brs, bcs)
	var packed map[int]weightPack
	if _, ok := constF32(c.op.Args[1], numel(bs)); ok {
		packed = map[int]weightPack{1: packB(c.g.tile, K, N, brs, bcs)}
		bm = "gemmMat{data: b, packed: true}"
	}
	fmt.Fprintf(&b, "y = y[:%d]\ngemm(%d, %d, %d, gemmMat{data: a, rs: %d, cs: %d}, %s, y, %d, false, pack, threads)\n", M*N, M, N, K, ars, acs, bm, N)
	hasC := len(c.op.Args) > 2 && c.op.Args[2] != nil && beta != 0
	if hasC {
		cs, err := c.arg(2)
		if err != nil {
			return nil, err
		}
		if len(cs) > 2 {
			return nil, fmt.Errorf("C is %s, want rank 2 or less", typeText(cs))
		}
		in = append(in, c.op.Args[2])
		params = append(params, "c")
		shapes += ", " + typeText(cs)
		dims, strides := broadcastLoops([]int{M, N}, cs)
		writeLoops(&b, dims, strides, func(idx []string) string {
			return fmt.Sprintf("y[i] = %s*y[i] + %s*c[%s]\ni++", f32Lit(alpha), f32Lit(beta), idx[0])
		}, "i := 0\n")
	} else if alpha != 1 {
		fmt.Fprintf(&b, "for i := range y {\ny[i] *= %s\n}\n", f32Lit(alpha))
	}
	params = append(params, "y")
	shapes += " -> " + typeText(ys)
	return &kernel{
		in: in, params: params, nout: 1,
		comment: fmt.Sprintf("Gemm %s, transA %v, transB %v, alpha %v, beta %v", shapes, ta, tb, alpha, beta),
		body:    b.String(), shapes: shapes, flops: 2 * int64(M) * int64(N) * int64(K), gemm: true, packed: packed,
	}, nil
}

// emitPool writes MaxPool or AveragePool over 2-D windows.
func emitPool(c *opCtx) (*kernel, error) {
	xs, ys, err := c.unaryShapes()
	if err != nil {
		return nil, err
	}
	if len(xs) != 4 {
		return nil, fmt.Errorf("codegen handles 2-D pooling only; X is %s", typeText(xs))
	}
	isMax := c.op.Name == "MaxPool"
	ceil := c.op.Int("ceil_mode") != 0
	OH, OW, win, err := window2D(c.op, c.op.Ints("kernel_shape"), xs[2], xs[3], ceil)
	if err != nil {
		return nil, err
	}
	if ys[2] != OH || ys[3] != OW {
		return nil, fmt.Errorf("result %s, want %dx%d windows", typeText(ys), OH, OW)
	}
	H, W := xs[2], xs[3]
	KH, KW := int(win[0].Kernel), int(win[1].Kernel)
	SH, SW := int(win[0].Stride), int(win[1].Stride)
	DH, DW := int(win[0].Dilation), int(win[1].Dilation)
	PT, PL := int(win[0].PadBegin), int(win[1].PadBegin)
	// count_include_pad counts the explicitly padded extent, not positions
	// that ceil_mode reaches beyond it.
	_, rh, _ := win[0].Resolve(int64(H), c.op.Str("auto_pad"), false)
	_, rw, _ := win[1].Resolve(int64(W), c.op.Str("auto_pad"), false)
	shapes := fmt.Sprintf("%s -> %s", typeText(xs), typeText(ys))
	var init, acc, fin string
	if isMax {
		init, acc, fin = "float32(math.Inf(-1))", "if v := xp[ih*%d+iw]; v > s {\ns = v\n}", "s"
		acc = fmt.Sprintf(acc, W)
	} else {
		init, acc, fin = "float32(0)", fmt.Sprintf("s += xp[ih*%d+iw]\ncnt++", W), "s / float32(cnt)"
	}
	loLimH, hiLimH, loLimW, hiLimW := 0, H, 0, W
	countPad := !isMax && c.op.Int("count_include_pad") != 0
	var b strings.Builder
	fmt.Fprintf(&b, "x = x[:%d]\ny = y[:%d]\n", numel(xs), numel(ys))
	fmt.Fprintf(&b, "for p := 0; p < %d; p++ {\nxp := x[p*%d : (p+1)*%d]\nyp := y[p*%d : (p+1)*%d]\n", xs[0]*xs[1], H*W, H*W, OH*OW, OH*OW)
	inside := PT == 0 && PL == 0 && (OH-1)*SH+(KH-1)*DH < H && (OW-1)*SW+(KW-1)*DW < W
	if inside && KH*KW <= 16 {
		// Every window lies inside the input: no bound to test, each tap
		// row sliced once per output row and every tap unrolled (the same
		// taps in the same order as the general loop below).
		span := (KW-1)*DW + 1
		fmt.Fprintf(&b, "for oh := 0; oh < %d; oh++ {\n", OH)
		for kh := 0; kh < KH; kh++ {
			fmt.Fprintf(&b, "r%d := xp[(oh*%d+%d)*%d : (oh*%d+%d)*%d+%d]\n", kh, SH, kh*DH, W, SH, kh*DH, W, W)
		}
		fmt.Fprintf(&b, "for ow := 0; ow < %d; ow++ {\niw := ow * %d\ns := %s\n", OW, SW, init)
		for kh := 0; kh < KH; kh++ {
			fmt.Fprintf(&b, "q%d := r%d[iw : iw+%d : iw+%d]\n", kh, kh, span, span)
			for kw := 0; kw < KW; kw++ {
				if isMax {
					fmt.Fprintf(&b, "if v := q%d[%d]; v > s {\ns = v\n}\n", kh, kw*DW)
				} else {
					fmt.Fprintf(&b, "s += q%d[%d]\n", kh, kw*DW)
				}
			}
		}
		fin = "s"
		if !isMax {
			fin = fmt.Sprintf("s / %d", KH*KW)
		}
		fmt.Fprintf(&b, "yp[oh*%d+ow] = %s\n}\n}\n}\n", OW, fin)
		return &kernel{
			in: c.op.Args[:1], params: []string{"x", "y"}, nout: 1,
			comment: fmt.Sprintf("%s %s, window %dx%d, stride %dx%d, dilation %dx%d, pads %d,%d,%d,%d: every window inside", c.op.Name, shapes, KH, KW, SH, SW, DH, DW, PT, PL, rh.PadEnd, rw.PadEnd),
			body:    b.String(), shapes: shapes, flops: int64(numel(ys)) * int64(KH*KW),
		}, nil
	}
	fmt.Fprintf(&b, "for oh := 0; oh < %d; oh++ {\nfor ow := 0; ow < %d; ow++ {\ns := %s\n", OH, OW, init)
	if !isMax {
		b.WriteString("cnt := 0\n")
	}
	if countPad {
		// The divisor counts every position inside the padded extent.
		fmt.Fprintf(&b, "for kh := 0; kh < %d; kh++ {\nih := oh*%d - %d + kh*%d\nfor kw := 0; kw < %d; kw++ {\niw := ow*%d - %d + kw*%d\n", KH, SH, PT, DH, KW, SW, PL, DW)
		fmt.Fprintf(&b, "if ih >= %d && ih < %d && iw >= %d && iw < %d {\ncnt++\n}\n", -PT, H+int(rh.PadEnd), -PL, W+int(rw.PadEnd))
		fmt.Fprintf(&b, "if ih >= %d && ih < %d && iw >= %d && iw < %d {\ns += xp[ih*%d+iw]\n}\n}\n}\n", loLimH, hiLimH, loLimW, hiLimW, W)
	} else {
		fmt.Fprintf(&b, "for kh := 0; kh < %d; kh++ {\nih := oh*%d - %d + kh*%d\nif ih < 0 || ih >= %d {\ncontinue\n}\n", KH, SH, PT, DH, H)
		fmt.Fprintf(&b, "for kw := 0; kw < %d; kw++ {\niw := ow*%d - %d + kw*%d\nif iw < 0 || iw >= %d {\ncontinue\n}\n%s\n}\n}\n", KW, SW, PL, DW, W, acc)
	}
	fmt.Fprintf(&b, "yp[oh*%d+ow] = %s\n}\n}\n}\n", OW, fin)
	return &kernel{
		in: c.op.Args[:1], params: []string{"x", "y"}, nout: 1,
		comment: fmt.Sprintf("%s %s, window %dx%d, stride %dx%d, dilation %dx%d, pads %d,%d,%d,%d", c.op.Name, shapes, KH, KW, SH, SW, DH, DW, PT, PL, rh.PadEnd, rw.PadEnd),
		body:    b.String(), shapes: shapes, flops: int64(numel(ys)) * int64(KH*KW),
	}, nil
}

// emitGlobalAveragePool writes the mean over every spatial position.
func emitGlobalAveragePool(c *opCtx) (*kernel, error) {
	xs, err := c.arg(0)
	if err != nil {
		return nil, err
	}
	if len(xs) < 3 {
		return nil, fmt.Errorf("X is %s, want rank 3 or more", typeText(xs))
	}
	ys, err := c.out(0)
	if err != nil {
		return nil, err
	}
	planes, size := xs[0]*xs[1], numel(xs[2:])
	shapes := fmt.Sprintf("%s -> %s", typeText(xs), typeText(ys))
	body := fmt.Sprintf("x = x[:%d]\ny = y[:%d]\nfor p := range y {\nvar s float32\nfor _, v := range x[p*%d : (p+1)*%d] {\ns += v\n}\ny[p] = s / %d\n}\n", planes*size, planes, size, size, size)
	return &kernel{in: c.op.Args[:1], params: []string{"x", "y"}, nout: 1, comment: "GlobalAveragePool " + shapes, body: body, shapes: shapes, flops: int64(planes * size)}, nil
}

// emitSoftmax writes Softmax along one axis (opset-13 semantics), the
// maximum subtracted first, the exponentials in float32 (expf; over the
// last axis with the vector units, expRow) and their sum in float64.
func emitSoftmax(c *opCtx) (*kernel, error) {
	xs, err := c.arg(0)
	if err != nil {
		return nil, err
	}
	ax, err := ir.NormAxis(c.op.Int("axis"), len(xs))
	if err != nil {
		return nil, err
	}
	outer, n, inner := numel(xs[:ax]), xs[ax], numel(xs[ax+1:])
	shapes := typeText(xs)
	// The exponentials less the maximum and their sum in float64; over
	// the last axis with the vector units, expRow on the whole row.
	expLoop := fmt.Sprintf("var sum float64\nfor i := 0; i < %[1]d; i++ {\ne := expf(x[base+i*%[2]d] - m)\ny[base+i*%[2]d] = e\nsum += float64(e)\n}\n", n, inner)
	if c.g.tile == kernels.SIMDTile && inner == 1 {
		expLoop = fmt.Sprintf("row := y[base : base+%[1]d]\ncopy(row, x[base:base+%[1]d])\nexpRow(row, m)\nvar sum float64\nfor _, e := range row {\nsum += float64(e)\n}\n", n)
	}
	body := fmt.Sprintf(`x = x[:%[1]d]
y = y[:%[1]d]
for o := 0; o < %[2]d; o++ {
for in := 0; in < %[4]d; in++ {
base := o*%[5]d + in
m := float32(math.Inf(-1))
for i := 0; i < %[3]d; i++ {
m = max(m, x[base+i*%[4]d])
}
%[6]sr := float32(1 / sum)
for i := 0; i < %[3]d; i++ {
y[base+i*%[4]d] *= r
}
}
}
`, numel(xs), outer, n, inner, n*inner, expLoop)
	return &kernel{in: c.op.Args[:1], params: []string{"x", "y"}, nout: 1, comment: fmt.Sprintf("Softmax over axis %d of %s", ax, shapes), body: body, shapes: shapes, flops: 4 * int64(numel(xs))}, nil
}

// emitTranspose writes a permutation as nested loops over the output
// reading the input with permuted strides.
func emitTranspose(c *opCtx) (*kernel, error) {
	xs, ys, err := c.unaryShapes()
	if err != nil {
		return nil, err
	}
	perm, err := ir.TransposePerm(c.op, len(xs))
	if err != nil {
		return nil, err
	}
	inStride := make([]int, len(xs))
	s := 1
	for i := len(xs) - 1; i >= 0; i-- {
		inStride[i] = s
		s *= xs[i]
	}
	var dims []int
	var st []int
	for i, p := range perm {
		if ys[i] == 1 {
			continue
		}
		dims = append(dims, ys[i])
		st = append(st, inStride[p])
	}
	if len(dims) == 0 {
		dims, st = []int{1}, []int{0}
	}
	shapes := fmt.Sprintf("%s -> %s", typeText(xs), typeText(ys))
	var b strings.Builder
	fmt.Fprintf(&b, "x = x[:%d]\ny = y[:%d]\n", numel(xs), numel(ys))
	writeLoops(&b, dims, [][]int{st}, func(idx []string) string { return "y[i] = x[" + idx[0] + "]\ni++" }, "i := 0\n")
	return &kernel{in: c.op.Args[:1], params: []string{"x", "y"}, nout: 1, comment: fmt.Sprintf("Transpose %v: %s", perm, shapes), body: b.String(), shapes: shapes}, nil
}

// emitConcat writes a concatenation as block copies.
func emitConcat(c *opCtx) (*kernel, error) {
	ys, err := c.out(0)
	if err != nil {
		return nil, err
	}
	ax, err := ir.NormAxis(c.op.Int("axis"), len(ys))
	if err != nil {
		return nil, err
	}
	outer, inner := numel(ys[:ax]), numel(ys[ax+1:])
	var b strings.Builder
	var params, texts []string
	fmt.Fprintf(&b, "y = y[:%d]\n", numel(ys))
	off := 0
	for i := range c.op.Args {
		xs, err := c.arg(i)
		if err != nil {
			return nil, err
		}
		p := fmt.Sprintf("x%d", i)
		params = append(params, p)
		texts = append(texts, typeText(xs))
		chunk := xs[ax] * inner
		fmt.Fprintf(&b, "for o := 0; o < %d; o++ {\ncopy(y[o*%d+%d:o*%d+%d], %s[o*%d:(o+1)*%d])\n}\n", outer, ys[ax]*inner, off, ys[ax]*inner, off+chunk, p, chunk, chunk)
		off += chunk
	}
	shapes := strings.Join(texts, ", ") + " -> " + typeText(ys)
	return &kernel{in: c.op.Args, params: append(params, "y"), nout: 1, comment: fmt.Sprintf("Concat on axis %d: %s", ax, shapes), body: b.String(), shapes: shapes}, nil
}

// emitBatchNorm writes inference-mode BatchNormalization: per channel
// y = (x-mean)/sqrt(var+epsilon)*scale + B.
func emitBatchNorm(c *opCtx) (*kernel, error) {
	if c.op.Int("training_mode") != 0 {
		return nil, fmt.Errorf("training_mode is set; codegen handles inference only")
	}
	xs, err := c.arg(0)
	if err != nil {
		return nil, err
	}
	if len(xs) < 2 {
		return nil, fmt.Errorf("X is %s, want rank 2 or more", typeText(xs))
	}
	for i := 1; i < 5; i++ {
		s, err := c.arg(i)
		if err != nil {
			return nil, err
		}
		if numel(s) != xs[1] {
			return nil, fmt.Errorf("operand %d is %s, want %d channels", i, typeText(s), xs[1])
		}
	}
	N, C, inner := xs[0], xs[1], numel(xs[2:])
	shapes := typeText(xs)
	body := fmt.Sprintf(`x = x[:%[1]d]
y = y[:%[1]d]
for n := 0; n < %[2]d; n++ {
for c := 0; c < %[3]d; c++ {
k := float32(float64(scale[c]) / math.Sqrt(float64(variance[c])+%[5]v))
d := bias[c] - mean[c]*k
o := (n*%[3]d + c) * %[4]d
for i := o; i < o+%[4]d; i++ {
y[i] = x[i]*k + d
}
}
}
`, numel(xs), N, C, inner, float64(c.op.Float("epsilon")))
	return &kernel{in: c.op.Args[:5], params: []string{"x", "scale", "bias", "mean", "variance", "y"}, nout: 1, comment: "BatchNormalization (inference) over " + shapes, body: body, shapes: shapes, flops: 2 * int64(numel(xs))}, nil
}

func init() {
	emitters["ReduceMean"] = emitReduceMean
	emitters["Slice"] = emitSlice
}

// emitReduceMean writes ReduceMean over axes that form one contiguous
// run (the normalizations exporters decompose reduce the last axis).
func emitReduceMean(c *opCtx) (*kernel, error) {
	xs, err := c.arg(0)
	if err != nil {
		return nil, err
	}
	var axes []int64
	if len(c.op.Args) > 1 && c.op.Args[1] != nil {
		if axes, err = c.g.knownInts(c.op.Args[1]); err != nil {
			return nil, fmt.Errorf("axes: %w", err)
		}
	}
	mask, noop, err := ir.ReduceAxes(axes, len(xs), c.op.Int("noop_with_empty_axes") != 0)
	if err != nil {
		return nil, err
	}
	first, last := -1, -1
	for i, m := range mask {
		if m && xs[i] != 1 {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	for i := first; i >= 0 && i <= last; i++ {
		if !mask[i] && xs[i] != 1 {
			return nil, fmt.Errorf("axes %v of %s are not contiguous; codegen reduces one run of axes", axes, typeText(xs))
		}
	}
	n := 1
	if first >= 0 && !noop {
		n = numel(xs[first : last+1])
	} else {
		first, last = len(xs), len(xs)-1
	}
	outer, inner := numel(xs[:first]), numel(xs[last+1:])
	ys, err := c.out(0)
	if err != nil {
		return nil, err
	}
	shapes := fmt.Sprintf("%s -> %s", typeText(xs), typeText(ys))
	body := fmt.Sprintf(`x = x[:%[1]d]
y = y[:%[2]d]
for o := 0; o < %[3]d; o++ {
for in := 0; in < %[5]d; in++ {
var s float32
for i := 0; i < %[4]d; i++ {
s += x[(o*%[4]d+i)*%[5]d+in]
}
y[o*%[5]d+in] = s / %[4]d
}
}
`, numel(xs), numel(ys), outer, n, inner)
	return &kernel{in: c.op.Args[:1], params: []string{"x", "y"}, nout: 1, comment: fmt.Sprintf("ReduceMean of %d elements: %s", n, shapes), body: body, shapes: shapes, flops: int64(numel(xs))}, nil
}

// emitSlice writes Slice with starts, ends, axes and steps known at
// compile time as nested loops over the output.
func emitSlice(c *opCtx) (*kernel, error) {
	xs, ys, err := c.unaryShapes()
	if err != nil {
		return nil, err
	}
	read := func(i int) ([]int64, error) {
		if i >= len(c.op.Args) || c.op.Args[i] == nil {
			return nil, nil
		}
		return c.g.knownInts(c.op.Args[i])
	}
	starts, err := read(1)
	if err != nil {
		return nil, err
	}
	ends, err := read(2)
	if err != nil {
		return nil, err
	}
	axes, err := read(3)
	if err != nil {
		return nil, err
	}
	steps, err := read(4)
	if err != nil {
		return nil, err
	}
	r := len(xs)
	begin := make([]int, r)
	step := make([]int, r)
	for i := range step {
		step[i] = 1
	}
	if len(ends) != len(starts) || (axes != nil && len(axes) != len(starts)) || (steps != nil && len(steps) != len(starts)) {
		return nil, fmt.Errorf("starts, ends, axes, steps differ in length")
	}
	for i := range starts {
		ax := i
		if axes != nil {
			a, err := ir.NormAxis(axes[i], r)
			if err != nil {
				return nil, err
			}
			ax = a
		}
		st := int64(1)
		if steps != nil {
			st = steps[i]
		}
		if st == 0 {
			return nil, fmt.Errorf("step 0 on axis %d", ax)
		}
		b, e := ir.SliceBounds(int64(xs[ax]), starts[i], ends[i], st)
		if ir.SliceLen(int64(xs[ax]), starts[i], ends[i], st) != int64(ys[ax]) {
			return nil, fmt.Errorf("axis %d: slice [%d:%d:%d] of %d is not %d long", ax, b, e, st, xs[ax], ys[ax])
		}
		begin[ax], step[ax] = int(b), int(st)
	}
	inStride := make([]int, r)
	s := 1
	for i := r - 1; i >= 0; i-- {
		inStride[i] = s
		s *= xs[i]
	}
	base := 0
	var dims, st []int
	for i := 0; i < r; i++ {
		base += begin[i] * inStride[i]
		if ys[i] == 1 {
			continue
		}
		dims = append(dims, ys[i])
		st = append(st, step[i]*inStride[i])
	}
	if len(dims) == 0 {
		dims, st = []int{1}, []int{0}
	}
	shapes := fmt.Sprintf("%s -> %s", typeText(xs), typeText(ys))
	var b strings.Builder
	fmt.Fprintf(&b, "x = x[:%d]\ny = y[:%d]\n", numel(xs), numel(ys))
	writeLoops(&b, dims, [][]int{st}, func(idx []string) string {
		return fmt.Sprintf("y[i] = x[%d+%s]\ni++", base, idx[0])
	}, "i := 0\n")
	return &kernel{in: c.op.Args[:1], params: []string{"x", "y"}, nout: 1, comment: fmt.Sprintf("Slice from %v step %v: %s", begin, step, shapes), body: b.String(), shapes: shapes}, nil
}

// depthwise is a depthwise convolution's geometry: one input and one output
// channel per group.
type depthwise struct {
	N, C, H, W, OH, OW, KH, KW int
	SH, SW, DH, DW, PT, PL     int
	bias                       bool
	vec                        bool      // the package has the vector micro-kernel unit (dwRow)
	par                        bool      // split the channels over threads (parallelFor)
	epi                        *epilogue // a fused epilogue, applied to each output row
	g                          *graph    // the package being written (its vector epilogues)
}

// dwPadMax is the largest padded plane, in elements, a stride-1
// depthwise convolution copies into a local array to run dwRow over all
// of it: 28×28 maps with a 3×3 window and smaller (two local arrays of
// at most 4 KiB each, which a goroutine's stack holds without growing
// much).
const dwPadMax = 1024

// depthwiseBody writes a depthwise convolution as direct loops. Outputs
// whose window lies inside the input (rows [ohLo, ohHi), columns [owLo,
// owHi), known at compile time) take every tap unrolled, the weights held
// in locals and each input row sliced once per tap row, so no bound is
// tested per tap; the border outputs test each tap. With the vector unit,
// rows of at least 8 inside outputs go through dwRow (stride 1) or dwRow2 (stride 2) instead
// (vec reports it). A fused epilogue is applied to each output plane (or
// row) once it is computed.
func depthwiseBody(d depthwise) (body string, vec bool) {
	bias := "0"
	if d.bias {
		bias = "b[c]"
	}
	// inside returns [lo, hi): the outputs along one axis whose window of
	// k taps (dilation dil, stride st, leading pad pad) lies in [0, n).
	inside := func(out, n, k, st, dil, pad int) (int, int) {
		lo := min((pad+st-1)/st, out)
		last := n - 1 - (k-1)*dil + pad // the largest window start, plus pad
		if last < 0 {
			return lo, lo
		}
		return lo, max(lo, min(out, last/st+1))
	}
	ohLo, ohHi := inside(d.OH, d.H, d.KH, d.SH, d.DH, d.PT)
	owLo, owHi := inside(d.OW, d.W, d.KW, d.SW, d.DW, d.PL)
	vec = d.vec && (d.SW == 1 || d.SW == 2) && owHi-owLo >= 8
	rowFn := "dwRow"
	if d.SW == 2 {
		rowFn = "dwRow2"
	}
	// A small stride-1 plane with border outputs is copied into a
	// zero-padded plane (HP×WP, in a local array), and dwRow computes
	// every output at once as one wide row over the padded width (the
	// last WP-OW of each row are not outputs), so no output takes the
	// scalar edge path; the taps outside the input multiply zeros.
	HP, WP := d.OH+(d.KH-1)*d.DH, d.OW+(d.KW-1)*d.DW
	PB, PR := HP-d.H-d.PT, WP-d.W-d.PL
	padded := d.vec && d.SH == 1 && d.SW == 1 && (ohLo > 0 || ohHi < d.OH || owLo > 0 || owHi < d.OW) &&
		PB >= 0 && PR >= 0 && HP*WP <= dwPadMax
	if padded {
		vec = true
	}
	var b strings.Builder
	if !padded {
		fmt.Fprintf(&b, `// edge computes the output at (oh, ow) of channel plane xp, testing
// every tap against the input's bounds.
edge := func(xp, wk []float32, bias float32, oh, ow int) float32 {
s := bias
for kh := 0; kh < %[1]d; kh++ {
ih := oh*%[3]d - %[4]d + kh*%[5]d
if ih < 0 || ih >= %[6]d {
continue
}
for kw := 0; kw < %[2]d; kw++ {
if iw := ow*%[7]d - %[8]d + kw*%[9]d; iw >= 0 && iw < %[10]d {
s += xp[ih*%[10]d+iw] * wk[kh*%[2]d+kw]
}
}
}
return s
}
`, d.KH, d.KW, d.SH, d.PT, d.DH, d.H, d.SW, d.PL, d.DW, d.W)
	}
	// With threads, the channels are split over goroutines (each channel
	// computed alike on whichever, so the bits do not depend on threads):
	// channel c goes to the chunk of [0, C·OH·OW) holding c·OH·OW.
	if d.par {
		fmt.Fprintf(&b, "for n := 0; n < %[1]d; n++ {\nparallelFor(%[2]d, threads, func(lo, hi int) {\n", d.N, d.C*d.OH*d.OW)
	} else {
		fmt.Fprintf(&b, "for n := 0; n < %d; n++ {\n", d.N)
	}
	if padded {
		fmt.Fprintf(&b, "var pad [%d]float32\nvar wide [%d]float32\n", HP*WP, (d.OH-1)*WP+d.OW)
	}
	if d.par {
		fmt.Fprintf(&b, "for c := (lo + %[1]d) / %[2]d; c < (hi+%[1]d)/%[2]d; c++ {\n", d.OH*d.OW-1, d.OH*d.OW)
	} else {
		fmt.Fprintf(&b, "for c := 0; c < %d; c++ {\n", d.C)
	}
	fmt.Fprintf(&b, "xp := x[(n*%[1]d+c)*%[2]d : (n*%[1]d+c+1)*%[2]d]\nyp := y[(n*%[1]d+c)*%[3]d : (n*%[1]d+c+1)*%[3]d]\n", d.C, d.H*d.W, d.OH*d.OW)
	fmt.Fprintf(&b, "wk := w[c*%[1]d : (c+1)*%[1]d]\nbias := float32(%[2]s)\n", d.KH*d.KW, bias)
	if padded {
		fmt.Fprintf(&b, "for ih := 0; ih < %[6]d; ih++ {\ncopy(pad[(ih+%[2]d)*%[3]d+%[4]d:(ih+%[2]d)*%[3]d+%[5]d], xp[ih*%[1]d:(ih+1)*%[1]d])\n}\n", d.W, d.PT, WP, d.PL, d.PL+d.W, d.H)
		fmt.Fprintf(&b, "dwRow(wide[:], pad[:], %d, wk, bias, %d, %d, %d, %d)\n", WP, d.KH, d.KW, d.DH, d.DW)
	}
	fmt.Fprintf(&b, "for oh := 0; oh < %d; oh++ {\nrow := yp[oh*%d : (oh+1)*%d]\n", d.OH, d.OW, d.OW)
	if padded {
		fmt.Fprintf(&b, "copy(row, wide[oh*%d:oh*%d+%d])\n", WP, WP, d.OW)
	} else if ohLo < ohHi && owLo < owHi {
		fmt.Fprintf(&b, "if oh >= %d && oh < %d {\n", ohLo, ohHi)
		fmt.Fprintf(&b, "ih0 := oh*%d - %d\n", d.SH, d.PT)
		fmt.Fprintf(&b, "for ow := 0; ow < %d; ow++ {\nrow[ow] = edge(xp, wk, bias, oh, ow)\n}\n", owLo)
		if vec {
			fmt.Fprintf(&b, "%s(row[%d:%d], xp[ih0*%d+%d:], %d, wk, bias, %d, %d, %d, %d)\n", rowFn, owLo, owHi, d.W, owLo*d.SW-d.PL, d.W, d.KH, d.KW, d.DH, d.DW)
		} else {
			var wl, ws []string
			for i := 0; i < d.KH*d.KW; i++ {
				wl = append(wl, fmt.Sprintf("wk[%d]", i))
				ws = append(ws, fmt.Sprintf("w%d", i))
			}
			fmt.Fprintf(&b, "%s := %s\n", strings.Join(ws, ", "), strings.Join(wl, ", "))
			span := (d.KW-1)*d.DW + 1
			for kh := 0; kh < d.KH; kh++ {
				fmt.Fprintf(&b, "r%d := xp[(ih0+%d)*%d : (ih0+%d)*%d+%d]\n", kh, kh*d.DH, d.W, kh*d.DH, d.W, d.W)
			}
			fmt.Fprintf(&b, "for ow := %d; ow < %d; ow++ {\niw := ow*%d - %d\ns := bias\n", owLo, owHi, d.SW, d.PL)
			for kh := 0; kh < d.KH; kh++ {
				fmt.Fprintf(&b, "q%d := r%d[iw : iw+%d : iw+%d]\n", kh, kh, span, span)
				var taps []string
				for kw := 0; kw < d.KW; kw++ {
					taps = append(taps, fmt.Sprintf("q%d[%d]*w%d", kh, kw*d.DW, kh*d.KW+kw))
				}
				fmt.Fprintf(&b, "s += %s\n", strings.Join(taps, " + "))
			}
			b.WriteString("row[ow] = s\n}\n")
		}
		fmt.Fprintf(&b, "for ow := %d; ow < %d; ow++ {\nrow[ow] = edge(xp, wk, bias, oh, ow)\n}\n", owHi, d.OW)
		b.WriteString("} else {\n")
	}
	switch {
	case padded:
		// Done above: the row is a copy of the wide row.
	case vec:
		// Rows whose window leaves the input at the top or bottom: the
		// inside columns take the tap rows that lie in the input through
		// dwRow (the same taps in the same order as edge), the border
		// columns edge.
		fmt.Fprintf(&b, "ih0 := oh*%[1]d - %[2]d\nkhLo := max(0, (%[3]d-1-ih0)/%[3]d)\nkhHi := min(%[4]d, (%[5]d+%[3]d-1-ih0)/%[3]d)\n", d.SH, d.PT, d.DH, d.KH, d.H)
		fmt.Fprintf(&b, "for ow := 0; ow < %d; ow++ {\nrow[ow] = edge(xp, wk, bias, oh, ow)\n}\n", owLo)
		fmt.Fprintf(&b, "if khLo < khHi {\n%[8]s(row[%[1]d:%[2]d], xp[(ih0+khLo*%[3]d)*%[4]d+%[5]d:], %[4]d, wk[khLo*%[6]d:], bias, khHi-khLo, %[6]d, %[3]d, %[7]d)\n} else {\nfor ow := %[1]d; ow < %[2]d; ow++ {\nrow[ow] = bias\n}\n}\n", owLo, owHi, d.DH, d.W, owLo*d.SW-d.PL, d.KW, d.DW, rowFn)
		fmt.Fprintf(&b, "for ow := %d; ow < %d; ow++ {\nrow[ow] = edge(xp, wk, bias, oh, ow)\n}\n", owHi, d.OW)
	default:
		b.WriteString("for ow := range row {\nrow[ow] = edge(xp, wk, bias, oh, ow)\n}\n")
	}
	if !padded && ohLo < ohHi && owLo < owHi {
		b.WriteString("}\n")
	}
	// The epilogue goes over each channel's plane once it is computed
	// (still in L1; longer rows for the vector loops), or over each row
	// when an extra operand's strides do not flatten the plane.
	plane := true
	if d.epi != nil {
		for _, st := range d.epi.strides {
			if st[2] != d.OW*st[3] {
				plane = false
			}
		}
	}
	if d.epi != nil && !plane {
		var ex []string
		var exSt []int
		for i, st := range d.epi.strides {
			fmt.Fprintf(&b, "e%d := ex%d[%s:]\n", i, i, indexExpr([]string{"n", "c", "oh"}, st[:3]))
			ex = append(ex, fmt.Sprintf("e%d", i))
			exSt = append(exSt, st[3])
		}
		b.WriteString(d.epi.rowLoopAt(d.g, "row", "row", "", ex, exSt, d.OW))
	}
	b.WriteString("}\n")
	if d.epi != nil && plane {
		var ex []string
		var exSt []int
		for i, st := range d.epi.strides {
			fmt.Fprintf(&b, "e%d := ex%d[%s:]\n", i, i, indexExpr([]string{"n", "c"}, st[:2]))
			ex = append(ex, fmt.Sprintf("e%d", i))
			exSt = append(exSt, st[3])
		}
		b.WriteString(d.epi.rowLoopAt(d.g, "yp", "yp", "", ex, exSt, d.OH*d.OW))
	}
	if d.par {
		b.WriteString("}\n})\n}\n")
	} else {
		b.WriteString("}\n}\n")
	}
	return b.String(), vec
}
