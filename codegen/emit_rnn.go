package codegen

import (
	"fmt"
	"strings"

	"github.com/kiln-ml/kiln/codegen/kernels"
	"github.com/kiln-ml/kiln/ir"
)

func init() {
	emitters["LSTM"] = emitLSTM
}

// emitLSTM writes an LSTM layer (ONNX gate order i, o, f, c) with the
// default activations (sigmoid, tanh, tanh), forward, reverse or
// bidirectional, layout 0, without sequence lengths or peepholes. Each
// step computes the four gates of a batch row from X and the previous
// hidden state, accumulating in float32, then updates the cell and hidden
// state; the nonlinearities are computed in float64 and rounded once.
func emitLSTM(c *opCtx) (*kernel, error) {
	op := c.op
	if op.Int("layout") != 0 {
		return nil, fmt.Errorf("layout 1: codegen handles layout 0 only so far")
	}
	if op.Int("input_forget") != 0 {
		return nil, fmt.Errorf("input_forget: not supported yet")
	}
	if acts := op.Strings("activations"); len(acts) > 0 {
		for i, a := range acts {
			if want := []string{"Sigmoid", "Tanh", "Tanh"}[i%3]; a != want {
				return nil, fmt.Errorf("activation %d is %s; codegen handles the default Sigmoid, Tanh, Tanh only", i, a)
			}
		}
	}
	if _, ok := op.Attr("clip"); ok {
		return nil, fmt.Errorf("clip: not supported yet")
	}
	if op.Arg(4) != nil {
		return nil, fmt.Errorf("sequence_lens: not supported yet")
	}
	if op.Arg(7) != nil {
		return nil, fmt.Errorf("peepholes (P): not supported yet")
	}
	if op.Args[0].Type.DType != ir.F32 {
		return nil, fmt.Errorf("X is %s; codegen handles f32 only", op.Args[0].Type.DType)
	}
	xs, err := c.arg(0)
	if err != nil {
		return nil, err
	}
	ws, err := c.arg(1)
	if err != nil {
		return nil, err
	}
	if len(xs) != 3 || len(ws) != 3 {
		return nil, fmt.Errorf("X is %s and W %s, want rank 3", typeText(xs), typeText(ws))
	}
	S, B, I := xs[0], xs[1], xs[2]
	D, H := ws[0], ws[1]/4
	if ws[2] != I || ws[1] != 4*H {
		return nil, fmt.Errorf("W is %s for X %s", typeText(ws), typeText(xs))
	}
	dirs := []string{"forward"}
	switch op.Str("direction") {
	case "reverse":
		dirs = []string{"reverse"}
	case "bidirectional":
		dirs = []string{"forward", "reverse"}
	}
	if len(dirs) != D {
		return nil, fmt.Errorf("W has %d directions for direction %q", D, op.Str("direction"))
	}
	in := []*ir.Value{op.Args[0], op.Args[1], op.Args[2]}
	params := []string{"x", "w", "r"}
	want := map[int][]int{2: {D, 4 * H, H}, 3: {D, 8 * H}, 5: {D, B, H}, 6: {D, B, H}}
	names := map[int]string{3: "bias", 5: "h0", 6: "c0"}
	for _, i := range []int{2, 3, 5, 6} {
		if op.Arg(i) == nil {
			continue
		}
		s, err := c.arg(i)
		if err != nil {
			return nil, err
		}
		if !sameShape(s, want[i]) {
			return nil, fmt.Errorf("operand %d is %s, want %s", i, typeText(s), typeText(want[i]))
		}
		if i != 2 {
			in = append(in, op.Args[i])
			params = append(params, names[i])
		}
	}
	has := func(p string) bool {
		for _, q := range params {
			if q == p {
				return true
			}
		}
		return false
	}
	// Results: Y [S, D, B, H], Y_h and Y_c [D, B, H]; each may be absent.
	var outs []string
	nout := 0
	for i, name := range []string{"y", "yh", "yc"} {
		if i < len(op.Results) && op.Results[i] != nil {
			outs = append(outs, name)
			nout = i + 1
		}
	}
	if len(outs) != nout {
		return nil, fmt.Errorf("internal error: LSTM results with gaps")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "x = x[:%d]\nw = w[:%d]\nr = r[:%d]\n", S*B*I, D*4*H*I, D*4*H*H)
	for _, o := range outs {
		n := D * B * H
		if o == "y" {
			n = S * D * B * H
		}
		fmt.Fprintf(&b, "%s = %s[:%d]\n", o, o, n)
	}
	fmt.Fprintf(&b, "var gates [%d]float32\n", 4*H)
	for d, dir := range dirs {
		fmt.Fprintf(&b, "{ // direction %d: %s\n", d, dir)
		fmt.Fprintf(&b, "var h, c [%d]float32\n", B*H)
		if has("h0") {
			fmt.Fprintf(&b, "copy(h[:], h0[%d:%d])\n", d*B*H, (d+1)*B*H)
		}
		if has("c0") {
			fmt.Fprintf(&b, "copy(c[:], c0[%d:%d])\n", d*B*H, (d+1)*B*H)
		}
		fmt.Fprintf(&b, "wd := w[%d:%d]\nrd := r[%d:%d]\n", d*4*H*I, (d+1)*4*H*I, d*4*H*H, (d+1)*4*H*H)
		if has("bias") {
			fmt.Fprintf(&b, "wb := bias[%d:%d]\nrb := bias[%d:%d]\n", d*8*H, d*8*H+4*H, d*8*H+4*H, (d+1)*8*H)
		}
		fmt.Fprintf(&b, "for step := 0; step < %d; step++ {\n", S)
		if dir == "forward" {
			b.WriteString("t := step\n")
		} else {
			fmt.Fprintf(&b, "t := %d - step\n", S-1)
		}
		fmt.Fprintf(&b, "for n := 0; n < %d; n++ {\n", B)
		fmt.Fprintf(&b, "xt := x[(t*%d+n)*%d : (t*%d+n+1)*%d]\nht := h[n*%d : (n+1)*%d]\n", B, I, B, I, H, H)
		fmt.Fprintf(&b, "for g := range gates {\nvar s float32\n")
		if has("bias") {
			b.WriteString("s = wb[g] + rb[g]\n")
		}
		if c.g.tile == kernels.SIMDTile {
			// The vector math unit's dot product (vectors of 8 where the
			// CPU has them).
			fmt.Fprintf(&b, "s += dotRow(wd[g*%d:(g+1)*%d], xt)\ns += dotRow(rd[g*%d:(g+1)*%d], ht)\n", I, I, H, H)
		} else {
			b.WriteString(dotLoop("s", fmt.Sprintf("wd[g*%d : (g+1)*%d]", I, I), "xt", I))
			b.WriteString(dotLoop("s", fmt.Sprintf("rd[g*%d : (g+1)*%d]", H, H), "ht", H))
		}
		b.WriteString("gates[g] = s\n}\n")
		fmt.Fprintf(&b, "for j := 0; j < %d; j++ {\n", H)
		fmt.Fprintf(&b, "ig := 1 / (1 + math.Exp(-float64(gates[j])))\nog := 1 / (1 + math.Exp(-float64(gates[%d+j])))\nfg := 1 / (1 + math.Exp(-float64(gates[%d+j])))\ncg := math.Tanh(float64(gates[%d+j]))\n", H, 2*H, 3*H)
		fmt.Fprintf(&b, "ct := float32(fg*float64(c[n*%d+j]) + ig*cg)\nc[n*%d+j] = ct\nh[n*%d+j] = float32(og * math.Tanh(float64(ct)))\n}\n", H, H, H)
		if contains(outs, "y") {
			fmt.Fprintf(&b, "copy(y[((t*%d+%d)*%d+n)*%d:], h[n*%d:(n+1)*%d])\n", D, d, B, H, H, H)
		}
		b.WriteString("}\n}\n")
		if contains(outs, "yh") {
			fmt.Fprintf(&b, "copy(yh[%d:%d], h[:])\n", d*B*H, (d+1)*B*H)
		}
		if contains(outs, "yc") {
			fmt.Fprintf(&b, "copy(yc[%d:%d], c[:])\n", d*B*H, (d+1)*B*H)
		}
		b.WriteString("}\n")
	}
	shapes := fmt.Sprintf("X %s, W %s -> hidden %d, %s", typeText(xs), typeText(ws), H, op.Str("direction"))
	return &kernel{
		in:      in,
		params:  append(params, outs...),
		nout:    nout,
		comment: "LSTM " + shapes,
		body:    b.String(),
		shapes:  shapes,
		flops:   int64(2 * S * D * B * 4 * H * (I + H)),
	}, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// dotLoop writes s += Σ w[k]·x[k] over the n elements of the slice
// expressions w and x, with four partial sums so that the additions do
// not wait on one another (a single chain of n dependent adds is bound by
// their latency), added to s in a fixed order.
func dotLoop(s, w, x string, n int) string {
	if n < 8 {
		return fmt.Sprintf("for k, v := range %s {\n%s += v * %s[k]\n}\n", w, s, x)
	}
	return fmt.Sprintf(`{
wv, xv := %[2]s, %[3]s[:%[4]d]
var p0, p1, p2, p3 float32
for len(wv) >= 4 && len(xv) >= 4 {
p0 += wv[0] * xv[0]
p1 += wv[1] * xv[1]
p2 += wv[2] * xv[2]
p3 += wv[3] * xv[3]
wv, xv = wv[4:], xv[4:]
}
for k, v := range wv {
p0 += v * xv[k]
}
%[1]s += (p0 + p1) + (p2 + p3)
}
`, s, w, x, n)
}
