package interp

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kiln-ml/kiln/ir"
)

// endlessLoop is a Loop of a billion iterations: only cancellation ends it
// within a test's time.
const endlessLoop = `const @m : i64[] = 1000000000
func @main(%x "x": f32[2]) -> ("y": f32[2]) {
  %y = Loop(@m, _, %x) : f32[2] loc("the_loop") {
    body(%i: i64[], %c: bool[], %v: f32[2]) {
      %w = Neg(%v) : f32[2] loc("inner_neg")
      return %c, %w
    }
  }
  return %y
}
`

func TestRunContextStopsInsideLoop(t *testing.T) {
	m, err := ir.Parse("loop.kir", []byte(endlessLoop), ir.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := ir.Verify(m); err != nil {
		t.Fatal(err)
	}
	x := &Tensor{DType: ir.F32, Shape: []int{2}, Data: []float32{1, 2}}

	// Cancel from the hook after 1000 ops: the run stops before the next.
	ctx, cancel := context.WithCancel(context.Background())
	var n atomic.Int64
	var last atomic.Pointer[ir.Op]
	in := New(m, Options{OnOp: func(op *ir.Op) {
		last.Store(op)
		if n.Add(1) == 1000 {
			cancel()
		}
	}})
	_, err = in.RunContext(ctx, "", []Value{x})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if got := n.Load(); got != 1000 {
		t.Errorf("%d ops ran, want 1000 (cancellation is checked before each op)", got)
	}
	if !strings.Contains(err.Error(), `node "inner_neg"`) || last.Load().Loc.String() != `"inner_neg"` {
		t.Errorf("error %q, last op %v: want the body's op named", err, last.Load().Loc)
	}

	// A deadline ends the run too.
	ctx, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	start := time.Now()
	_, err = New(m, Options{}).RunContext(ctx, "", []Value{x})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("run took %v after a 50ms deadline", d)
	}
}
