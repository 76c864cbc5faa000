package llmrt

import (
	"fmt"
	"math"
)

// Session evaluates tokens one call after another against a KV cache of
// Config.Context positions. A session is not safe for concurrent use;
// give each goroutine its own.
type Session struct {
	m       *Model
	pos     int
	threads int
	// The KV cache, per layer [Context][KVHeads·HeadDim]: binary16 bits
	// (llama.cpp's default) or, with Config.KVF32, float32.
	k16, v16 [][]uint16
	// nonFinite[li]: an infinity or NaN was stored in layer li's F16
	// cache since the last Reset (the vector attention's fast path
	// assumes none).
	nonFinite []bool
	k32, v32  [][]float32

	// Scratch, grown to the largest batch seen, reused across calls.
	rows                         int
	x, xn, q, k, v, att, o, g, u []float32
	act                          []byte
	lanes                        lanes // activations for the lanes kernels
	actF                         []float32
	scores, qh, vacc             []float32 // per head: scores, a query row, value sums
	logits                       []float32
}

// NewSession returns a session with an empty cache whose linear layers
// and attention heads are shared by Config.Threads goroutines.
func (m *Model) NewSession() *Session {
	c := m.cfg
	s := &Session{m: m, threads: max(c.Threads, 1), nonFinite: make([]bool, c.Layers)}
	kv := c.Context * c.KVHeads * c.HeadDim
	for i := 0; i < c.Layers; i++ {
		if c.KVF32 {
			s.k32 = append(s.k32, make([]float32, kv))
			s.v32 = append(s.v32, make([]float32, kv))
		} else {
			s.k16 = append(s.k16, make([]uint16, kv))
			s.v16 = append(s.v16, make([]uint16, kv))
		}
	}
	return s
}

// SetThreads sets the number of goroutines that share each linear
// layer's rows and the attention's heads (at least 1). The logits do not
// depend on it.
func (s *Session) SetThreads(n int) { s.threads = max(n, 1) }

// Reset empties the cache.
func (s *Session) Reset() {
	s.pos = 0
	clear(s.nonFinite)
}

// Pos returns the number of tokens in the cache.
func (s *Session) Pos() int { return s.pos }

// Prefill evaluates ids at the next positions and returns the logits
// after the last one (Vocab values, valid until the next call).
func (s *Session) Prefill(ids []int32) ([]float32, error) {
	if err := s.eval(ids, false); err != nil {
		return nil, err
	}
	return s.logits[:s.m.cfg.Vocab], nil
}

// PrefillAll is Prefill returning the logits after every token: len(ids)
// rows of Vocab values, row-major (valid until the next call).
func (s *Session) PrefillAll(ids []int32) ([]float32, error) {
	if err := s.eval(ids, true); err != nil {
		return nil, err
	}
	return s.logits[:len(ids)*s.m.cfg.Vocab], nil
}

// Step evaluates one token and returns the logits after it.
func (s *Session) Step(id int32) ([]float32, error) { return s.Prefill([]int32{id}) }

// grow sizes the scratch for n tokens.
func (s *Session) grow(n int, all bool) {
	c := s.m.cfg
	if n > s.rows {
		qDim, kvDim := c.Heads*c.HeadDim, c.KVHeads*c.HeadDim
		width := max(c.Embed, qDim, c.FFN)
		s.x, s.xn = make([]float32, n*c.Embed), make([]float32, n*width)
		s.q, s.att, s.o = make([]float32, n*qDim), make([]float32, n*qDim), make([]float32, n*c.Embed)
		s.k, s.v = make([]float32, n*kvDim), make([]float32, n*kvDim)
		s.g, s.u = make([]float32, n*c.FFN), make([]float32, n*c.FFN)
		s.actF = make([]float32, n*width)
		s.act = make([]byte, n*(width/32)*36+n*(width/256+1)*292)
		s.rows = n
	}
	if len(s.scores) < c.Heads*c.Context {
		s.scores = make([]float32, c.Heads*c.Context)
		s.qh = make([]float32, c.Heads*c.HeadDim)
		s.vacc = make([]float32, c.Heads*32*c.HeadDim)
	}
	rows := 1
	if all {
		rows = n
	}
	if len(s.logits) < rows*c.Vocab {
		s.logits = make([]float32, rows*c.Vocab)
	}
}

// eval runs the forward pass over ids at positions pos.. and writes the
// logits of the last token (or of all, with all) into s.logits.
func (s *Session) eval(ids []int32, all bool) error {
	c := s.m.cfg
	n := len(ids)
	if n == 0 {
		return fmt.Errorf("no tokens to evaluate")
	}
	if s.pos+n > c.Context {
		return fmt.Errorf("%w: %d cached + %d new tokens exceed the context of %d", ErrContextFull, s.pos, n, c.Context)
	}
	for i, id := range ids {
		if id < 0 || int(id) >= c.Vocab {
			return fmt.Errorf("token %d: id %d is outside the vocabulary of %d", i, id, c.Vocab)
		}
	}
	s.grow(n, all)
	m := s.m
	E := c.Embed
	qDim, kvDim := c.Heads*c.HeadDim, c.KVHeads*c.HeadDim
	x := s.x[:n*E]
	// Token embedding: only the gathered rows are dequantized.
	for t, id := range ids {
		w := m.tokEmbd
		w.k.dequant(w.data[int(id)*w.rowBytes:(int(id)+1)*w.rowBytes], x[t*E:(t+1)*E])
	}
	for li := range m.layers {
		L := &m.layers[li]
		xn := s.xn[:n*E]
		rmsNorm(x, L.attnNorm, c.Eps, xn)
		q, k, v := s.q[:n*qDim], s.k[:n*kvDim], s.v[:n*kvDim]
		s.linear(L.q, xn, n, q)
		s.linear(L.k, xn, n, k)
		s.linear(L.v, xn, n, v)
		for t := 0; t < n; t++ {
			s.rope(q[t*qDim:(t+1)*qDim], c.Heads, s.pos+t)
			s.rope(k[t*kvDim:(t+1)*kvDim], c.KVHeads, s.pos+t)
		}
		s.store(li, k, v, n)
		att := s.att[:n*qDim]
		s.attention(li, q, n, att)
		o := s.o[:n*E]
		s.linear(L.o, att, n, o)
		for i := range x {
			x[i] += o[i]
		}
		// The last layer's feed-forward part runs only for the rows whose
		// logits are asked for, as llama.cpp's does: a single row then
		// multiplies in ggml's vector-dot order, not its tiled one.
		x, n := x, n
		if li == len(m.layers)-1 && !all {
			x, n = x[(n-1)*E:], 1
		}
		xn = s.xn[:n*E]
		rmsNorm(x, L.ffnNorm, c.Eps, xn)
		g, u := s.g[:n*c.FFN], s.u[:n*c.FFN]
		s.linear(L.gate, xn, n, g)
		s.linear(L.up, xn, n, u)
		// SiLU as ggml computes it (order.go), then the product.
		for t := 0; t < n; t++ {
			siluRows(g[t*c.FFN : (t+1)*c.FFN])
		}
		for i, gv := range g {
			g[i] = gv * u[i]
		}
		o = s.o[:n*E]
		s.linear(L.down, g, n, o)
		for i := range x {
			x[i] += o[i]
		}
	}
	first := 0
	if !all {
		first = n - 1
	}
	rows := n - first
	xn := s.xn[:rows*E]
	rmsNorm(x[first*E:], m.outNorm, c.Eps, xn)
	s.linear(m.output, xn, rows, s.logits[:rows*c.Vocab])
	s.pos += n
	return nil
}

// rmsNorm writes x·w/sqrt(mean(x²)+eps) row by row, the mean of squares
// summed in float64 as ggml does.
func rmsNorm(x, w []float32, eps float32, out []float32) {
	E := len(w)
	for r := 0; r+E <= len(x); r += E {
		row := x[r : r+E]
		sum := 0.0
		for _, v := range row {
			sum += float64(v * v)
		}
		scale := 1 / float32(math.Sqrt(float64(float32(sum/float64(E))+eps)))
		o := out[r : r+E]
		for i, v := range row {
			o[i] = v * scale * w[i]
		}
	}
}

// rope rotates the first RopeDim dims of each head of one token's row,
// adjacent pairs, at position p.
func (s *Session) rope(row []float32, heads, p int) {
	c := s.m.cfg
	half := c.RopeDim / 2
	cs, sn := s.m.cos[p*half:(p+1)*half], s.m.sin[p*half:(p+1)*half]
	for h := 0; h < heads; h++ {
		v := row[h*c.HeadDim:]
		for i := 0; i < half; i++ {
			// ggml's compiled rope fuses the first product of each line.
			x0, x1 := v[2*i], v[2*i+1]
			v[2*i] = fma32(x0, cs[i], -(x1 * sn[i]))
			v[2*i+1] = fma32(x0, sn[i], x1*cs[i])
		}
	}
}

// store writes n tokens' keys and values into layer li's cache.
func (s *Session) store(li int, k, v []float32, n int) {
	kvDim := s.m.cfg.KVHeads * s.m.cfg.HeadDim
	off := s.pos * kvDim
	if s.m.cfg.KVF32 {
		copy(s.k32[li][off:], k[:n*kvDim])
		copy(s.v32[li][off:], v[:n*kvDim])
		return
	}
	kc, vc := s.k16[li][off:off+n*kvDim], s.v16[li][off:off+n*kvDim]
	for i := range kc {
		kc[i] = f16Encode(k[i])
		vc[i] = f16Encode(v[i])
		if kc[i]&0x7c00 == 0x7c00 || vc[i]&0x7c00 == 0x7c00 {
			s.nonFinite[li] = true
		}
	}
}

// attention computes causal grouped-query attention of n query rows (at
// positions pos..pos+n-1) over the cache: scores q·k/sqrt(HeadDim), a
// softmax and the weighted sum of values. With the F16 cache it computes
// as ggml's AVX2 build does: the queries and the softmax weights rounded
// to binary16, the dot products in ggml's lane orders (f16Dot), the
// exponentials by ggml's expf and their sum per run of eight in float32,
// the runs added in float64.
func (s *Session) attention(li int, q []float32, n int, out []float32) {
	c := s.m.cfg
	hd, qDim, kvDim := c.HeadDim, c.Heads*c.HeadDim, c.KVHeads*c.HeadDim
	group := c.Heads / c.KVHeads
	scale := float32(1 / math.Sqrt(float64(hd)))
	// ggml multiplies several query rows with its tiled kernel (when the
	// summed length is a multiple of 8) and one with its vector dot
	// product, which add in different orders. Its rows of cached
	// positions are padded with masked ones to a multiple of 32.
	batch := n > 1
	// Each head has its own scores, query row and value sums, so heads can
	// run on several goroutines.
	head := func(h int) {
		qv := s.qh[h*hd : (h+1)*hd]
		kvh := h / group
		for t := 0; t < n; t++ {
			p := s.pos + t
			sc := s.scores[h*c.Context : h*c.Context+p+1]
			copy(qv, q[t*qDim+h*hd:t*qDim+(h+1)*hd])
			if c.KVF32 {
				top := float32(math.Inf(-1))
				for j := range sc {
					sc[j] = dotF32(s.k32[li][j*kvDim+kvh*hd:j*kvDim+(kvh+1)*hd], qv) * scale
					top = max(top, sc[j])
				}
				sum := 0.0
				for j := range sc {
					sc[j] = float32(math.Exp(float64(sc[j] - top)))
					sum += float64(sc[j])
				}
				inv := float32(1 / sum)
				o := out[t*qDim+h*hd : t*qDim+(h+1)*hd]
				clear(o)
				for j, w := range sc {
					w *= inv
					vr := s.v32[li][j*kvDim+kvh*hd : j*kvDim+(kvh+1)*hd]
					for i := range o {
						o[i] += float32(w * vr[i])
					}
				}
				continue
			}
			for i := range qv {
				qv[i] = roundF16(qv[i])
			}
			finite := !s.nonFinite[li]
			keyScores(sc, s.k16[li][kvh*hd:], kvDim, qv, scale, batch, finite)
			top := float32(math.Inf(-1))
			for _, v := range sc {
				top = max(top, v)
			}
			softmax8(sc, top)
			weightedValues(out[t*qDim+h*hd:t*qDim+(h+1)*hd], s.v16[li][kvh*hd:], kvDim, sc, batch, finite, s.vacc[h*32*hd:(h+1)*32*hd])
		}
	}
	// As in linear: split only work worth a job.
	th := s.threads
	if c.Heads*n*(s.pos+n)*hd < 1<<15 {
		th = 1
	}
	runParts(c.Heads, th, func(h, _ int) { head(h) })
}

// softmax8 replaces the scores x (whose largest is top) by their
// softmax weights rounded to binary16, as ggml computes them: expf of
// each score minus top, the exponentials of each run of eight summed in
// float32 lanes (hsum8) and the runs in float64, the weights multiplied
// by the float32 inverse of the sum. The row is taken as padded with
// masked scores to a multiple of eight, which add zeros.
func softmax8(x []float32, top float32) {
	expShifted(x, top)
	sum := 0.0
	for g := 0; g < len(x); g += 8 {
		var l [8]float32
		copy(l[:], x[g:min(g+8, len(x))])
		sum += float64(hsum8(&l))
	}
	inv := float32(1 / sum)
	for i := range x {
		x[i] = roundF16(x[i] * inv)
	}
}

// f16Dot is Σ a[i·stride]·b[i] for i < n, a binary16 and b float32 values
// that are binary16 numbers (their products are exact in float32, so
// fused and separate multiply-adds agree), as ggml's AVX2 build adds a
// row of width values whose entries from n on are zeros. With batch and a
// width that is a multiple of 8, as its tiled matrix kernel does: one
// eight-lane accumulator (lane i mod 8) reduced by hsum8. Else as its
// vector dot product: four eight-lane accumulators over each run of 32,
// reduced accumulator 0+2 and 1+3, then the two, then lanes l+4 onto l
// and (0+1)+(2+3), with the values past the last run of 32 added in
// float64.
func f16Dot(n, width int, a []uint16, stride int, b []float32, batch bool) float32 {
	b = b[:n]
	if batch && width%8 == 0 {
		var l [8]float32
		for i, bv := range b {
			l[i%8] += h2f(a[i*stride]) * bv
		}
		return hsum8(&l)
	}
	var acc [4][8]float32
	np := width &^ 31
	for i := 0; i < min(n, np); i++ {
		acc[i%32/8][i%8] += h2f(a[i*stride]) * b[i]
	}
	sum := float64(f16DotReduce(&acc))
	for i := np; i < n; i++ {
		sum += float64(h2f(a[i*stride]) * b[i])
	}
	return float32(sum)
}

// linear writes out[t][r] = W[r]·x[t] for n rows of activations x,
// quantizing each activation row once to the format W's type takes and
// splitting W's rows into parts of a multiple of four rows that the
// session's goroutines share out (runParts).
func (s *Session) linear(w *weight, x []float32, n int, out []float32) {
	k := w.k
	cols := w.cols
	var act []byte
	var actF []float32
	actRow := 0
	switch k.act {
	case actF32:
		actF = x[:n*cols]
	case actF16:
		actF = s.actF[:n*cols]
		for i, v := range x[:n*cols] {
			actF[i] = roundF16(v)
		}
	default:
		actRow = cols / actBlockLen[k.act] * actBlockBytes[k.act]
		act = s.act[:n*actRow]
		for t := 0; t < n; t++ {
			quantizeAct(k.act, x[t*cols:(t+1)*cols], act[t*actRow:(t+1)*actRow])
		}
		if k.dotLanes != nil {
			s.lanes.reset(k.act, n, cols)
			for t := 0; t < n; t++ {
				s.lanes.pack(t, k.act, act[t*actRow:(t+1)*actRow], cols)
			}
		}
	}
	run := func(r0, r1 int) {
		if k.dotLanes != nil {
			rowsLanes(w, r0, r1, &s.lanes, out, w.rows)
			return
		}
		nb := cols / k.blockLen
		if n > 1 && k.dotRows != nil {
			// Tiles of activation rows that stay in the L1 cache while every
			// weight row of the range passes.
			tile := max(4, prefillBytes/actRow/4*4)
			for t0 := 0; t0 < n; t0 += tile {
				t1 := min(t0+tile, n)
				for r := r0; r < r1; r++ {
					k.dotRows(w.data[r*w.rowBytes:(r+1)*w.rowBytes], act[t0*actRow:t1*actRow], actRow, t1-t0, nb, out[t0*w.rows+r:], w.rows)
				}
			}
			return
		}
		for r := r0; r < r1; r++ {
			for t := 0; t < n; t++ {
				var d float32
				switch k.act {
				case actF32:
					d = dotF32(w.f32[r*cols:(r+1)*cols], actF[t*cols:(t+1)*cols])
				case actF16:
					d = dotF16(w.data[r*w.rowBytes:(r+1)*w.rowBytes], actF[t*cols:(t+1)*cols])
				default:
					dot := k.dot
					if n == 1 && k.dot1 != nil {
						dot = k.dot1
					}
					d = dot(w.data[r*w.rowBytes:(r+1)*w.rowBytes], act[t*actRow:(t+1)*actRow], nb)
				}
				out[t*w.rows+r] = d
			}
		}
	}
	th := s.threads
	// Splitting pays only when each goroutine gets enough work.
	if th > 1 && w.rows*cols*n < 1<<15 {
		th = 1
	}
	if th == 1 {
		run(0, w.rows)
		return
	}
	// Four parts per thread, each a multiple of four rows, for the
	// goroutines to share out as they come free.
	chunk := max((w.rows/4+4*th-1)/(4*th)*4, 4)
	parts := (w.rows + chunk - 1) / chunk
	runParts(parts, th, func(p, _ int) {
		run(p*chunk, min((p+1)*chunk, w.rows))
	})
}

// Context returns the number of positions the session's cache holds.
func (s *Session) Context() int { return s.m.cfg.Context }
