package codegen

import (
	"fmt"
	"strings"

	"github.com/kiln-ml/kiln/ir"
)

func init() {
	emitters["RotaryEmbedding"] = emitRotary
	f32Kernels["RotaryEmbedding"] = true
}

// emitRotary writes RotaryEmbedding (opset 23) on X [B,H,S,D] or
// [B,S,H*D] (num_heads giving H): for each batch b, position s and head
// h, the head's first rotary_embedding_dim features (all when 0) are
// rotated in pairs (x1, x2) — the two halves, or even and odd features
// when interleaved — by the caches' row for (b, s) ([B, S, rd/2] caches),
// or for position_ids[b, s] ([max_position, rd/2] caches; a position
// outside them is an error of Run): x1' = cos*x1 - sin*x2, x2' = sin*x1 +
// cos*x2, each in float64 as the interpreter computes them. The features
// past rotary_embedding_dim are copied.
func emitRotary(c *opCtx) (*kernel, error) {
	op := c.op
	xs, err := c.arg(0)
	if err != nil {
		return nil, err
	}
	cs, err := c.arg(1)
	if err != nil {
		return nil, err
	}
	ss, err := c.arg(2)
	if err != nil {
		return nil, err
	}
	if op.Args[1].Type.DType != ir.F32 || op.Args[2].Type.DType != ir.F32 {
		return nil, fmt.Errorf("cos_cache and sin_cache are %v and %v; codegen reads f32 caches only so far", op.Args[1].Type.DType, op.Args[2].Type.DType)
	}
	var B, H, S, D int
	// Offsets of (b, h, s) in X: base = b*bStr + h*hStr + s*sStr.
	var bStr, hStr, sStr int
	switch len(xs) {
	case 4:
		B, H, S, D = xs[0], xs[1], xs[2], xs[3]
		bStr, hStr, sStr = H*S*D, S*D, D
	case 3:
		B, S = xs[0], xs[1]
		H = int(op.Int("num_heads"))
		if H < 1 || xs[2]%H != 0 {
			return nil, fmt.Errorf("X %v is 3-D: num_heads (%d) must divide its last dim", xs, H)
		}
		D = xs[2] / H
		bStr, hStr, sStr = S*H*D, D, H*D
	default:
		return nil, fmt.Errorf("X %v: want [B,H,S,D] or [B,S,H*D]", xs)
	}
	rd := int(op.Int("rotary_embedding_dim"))
	if rd == 0 {
		rd = D
	}
	if rd > D || rd%2 != 0 {
		return nil, fmt.Errorf("rotary_embedding_dim %d: want an even number up to the head size %d", rd, D)
	}
	half := rd / 2
	withPos := len(op.Args) > 3 && op.Args[3] != nil
	in := op.Args[:3]
	params := []string{"x", "cosc", "sinc"}
	var row string
	var b strings.Builder
	if withPos {
		ps, err := c.arg(3)
		if err != nil {
			return nil, err
		}
		if len(ps) != 2 || ps[0] != B || ps[1] != S {
			return nil, fmt.Errorf("position_ids %v: want [%d, %d]", ps, B, S)
		}
		if len(cs) != 2 || !sameShape(cs, ss) || cs[1] != half {
			return nil, fmt.Errorf("with position_ids, cos_cache and sin_cache must be [max_position, %d], not %v and %v", half, cs, ss)
		}
		in = op.Args[:4]
		params = append(params, "pos")
		row = fmt.Sprintf(`p := pos[b*%[1]d+s]
if p < 0 || p >= %[2]d {
return fmt.Errorf("position_ids[%%d][%%d] = %%d is outside the caches' %[2]d rows", b, s, p)
}
r := int(p)
`, S, cs[0])
	} else {
		if len(cs) != 3 || !sameShape(cs, ss) || cs[0] != B || cs[1] != S || cs[2] != half {
			return nil, fmt.Errorf("without position_ids, cos_cache and sin_cache must be [%d, %d, %d], not %v and %v", B, S, half, cs, ss)
		}
		row = fmt.Sprintf("r := b*%d + s\n", S)
	}
	params = append(params, "y")
	pair := fmt.Sprintf("i1, i2 := o+i, o+i+%d\n", half)
	if op.Int("interleaved") != 0 {
		pair = "i1, i2 := o+2*i, o+2*i+1\n"
	}
	fmt.Fprintf(&b, "x = x[:%[1]d]\ny = y[:%[1]d]\ncosc = cosc[:%[2]d]\nsinc = sinc[:%[2]d]\n", numel(xs), numel(cs))
	if withPos {
		fmt.Fprintf(&b, "pos = pos[:%d]\n", B*S)
	}
	if rd < D {
		// Features past rotary_embedding_dim pass through.
		b.WriteString("copy(y, x)\n")
	}
	fmt.Fprintf(&b, `for b := 0; b < %[1]d; b++ {
for s := 0; s < %[2]d; s++ {
%[3]scr := cosc[r*%[4]d : r*%[4]d+%[4]d]
sr := sinc[r*%[4]d : r*%[4]d+%[4]d]
for h := 0; h < %[5]d; h++ {
o := b*%[6]d + h*%[7]d + s*%[8]d
for i := 0; i < %[4]d; i++ {
%[9]sx1, x2 := float64(x[i1]), float64(x[i2])
c, sn := float64(cr[i]), float64(sr[i])
y[i1] = float32(c*x1 - sn*x2)
y[i2] = float32(sn*x1 + c*x2)
}
}
}
}
`, B, S, row, half, H, bStr, hStr, sStr, pair)
	shapes := fmt.Sprintf("X %s, caches %s", typeText(xs), typeText(cs))
	form := "halves"
	if op.Int("interleaved") != 0 {
		form = "interleaved pairs"
	}
	return &kernel{
		in:      in,
		params:  params,
		nout:    1,
		fails:   withPos,
		comment: fmt.Sprintf("RotaryEmbedding (%s, %d of %d features, %d heads): %s", form, rd, D, H, shapes),
		body:    b.String(),
		shapes:  shapes,
		flops:   int64(6 * B * S * H * half),
	}, nil
}
