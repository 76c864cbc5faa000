package compiled

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/tensor"
)

// Units returns the names of the units the program holds, sorted.
func (p *Program) Units() []string {
	names := make([]string, 0, len(p.units))
	for n := range p.units {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Command returns the command running the program with args (see the
// generated main's doc: "run UNIT INDIR OUTDIR" or "bench UNIT INDIR
// WARMUP N").
func (p *Program) Command(ctx context.Context, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, p.Exe, args...)
}

// Run runs unit once on inputs (in the function's input order) in a
// child process and returns its outputs.
func (p *Program) Run(ctx context.Context, unit string, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
	return p.RunEnv(ctx, unit, inputs, nil)
}

// RunEnv is Run with env added to the child's environment.
func (p *Program) RunEnv(ctx context.Context, unit string, inputs []*tensor.Tensor, env []string) ([]*tensor.Tensor, error) {
	u, ok := p.units[unit]
	if !ok {
		return nil, fmt.Errorf("the program holds no unit %q", unit)
	}
	work, err := os.MkdirTemp("", "kiln-run-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	in, out := filepath.Join(work, "in"), filepath.Join(work, "out")
	if err := WriteInputs(in, inputs); err != nil {
		return nil, err
	}
	if err := os.Mkdir(out, 0o777); err != nil {
		return nil, err
	}
	cmd := p.Command(ctx, "run", unit, in, out)
	if len(env) > 0 {
		cmd.Env = append(os.Environ(), env...)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.WaitDelay = time.Second
	if err := cmd.Run(); err != nil {
		return nil, childError(ctx, err, stderr.String())
	}
	res := make([]*tensor.Tensor, u.outputs)
	for i := range res {
		t, err := tensor.ReadNPYFile(filepath.Join(out, strconv.Itoa(i)+".npy"))
		if err != nil {
			return nil, fmt.Errorf("reading output %d of the compiled program: %w", i, err)
		}
		res[i] = t
	}
	return res, nil
}

// childError describes a failed run of the program: its message, or how
// it died.
func childError(ctx context.Context, err error, stderr string) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	msg := strings.TrimSpace(stderr)
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 1 && msg != "" && !strings.Contains(msg, "\ngoroutine ") {
		return fmt.Errorf("compiled model: %s", msg)
	}
	if i := strings.Index(msg, "\n\ngoroutine "); i >= 0 {
		msg = msg[:i]
	}
	if len(msg) > 2000 {
		msg = msg[:2000] + "..."
	}
	return fmt.Errorf("compiled model crashed (%v): %s", err, msg)
}

// WriteInputs writes inputs as dir/0.npy, dir/1.npy, ... (creating dir),
// the layout the program reads.
func WriteInputs(dir string, inputs []*tensor.Tensor) error {
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return err
	}
	for i, t := range inputs {
		if t.DType == ir.BF16 {
			// NumPy has no bfloat16: the bits travel as uint16.
			t = &tensor.Tensor{DType: ir.U16, Shape: t.Shape, Data: bf16Bits(t)}
		}
		if err := tensor.WriteNPYFile(filepath.Join(dir, strconv.Itoa(i)+".npy"), t); err != nil {
			return fmt.Errorf("input %d: %w", i, err)
		}
	}
	return nil
}

// bf16Bits returns the bits of a bfloat16 tensor's elements.
func bf16Bits(t *tensor.Tensor) []uint16 {
	b := tensor.Data[ir.BFloat16](t)
	out := make([]uint16, len(b))
	for i, v := range b {
		out[i] = uint16(v)
	}
	return out
}
