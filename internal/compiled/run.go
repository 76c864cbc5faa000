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
	var res []*tensor.Tensor
	err := p.runChild(ctx, unit, env, func(in string) error { return WriteInputs(in, inputs) }, func(out string) error {
		res = make([]*tensor.Tensor, u.outputs)
		for i := range res {
			t, err := tensor.ReadNPYFile(filepath.Join(out, strconv.Itoa(i)+".npy"))
			if err != nil {
				return fmt.Errorf("reading output %d of the compiled program: %w", i, err)
			}
			res[i] = t
		}
		return nil
	})
	return res, err
}

// RunValues is RunEnv for a unit whose inputs or outputs may be
// sequences or optionals: outTypes gives the type of each output, so
// that each is read back as what it is.
func (p *Program) RunValues(ctx context.Context, unit string, inputs []tensor.Value, outTypes []ir.Type, env []string) ([]tensor.Value, error) {
	if _, ok := p.units[unit]; !ok {
		return nil, fmt.Errorf("the program holds no unit %q", unit)
	}
	var res []tensor.Value
	err := p.runChild(ctx, unit, env, func(in string) error { return WriteValues(in, inputs) }, func(out string) error {
		res = make([]tensor.Value, len(outTypes))
		for i, t := range outTypes {
			v, err := readValue(filepath.Join(out, strconv.Itoa(i)), t)
			if err != nil {
				return fmt.Errorf("reading output %d of the compiled program: %w", i, err)
			}
			res[i] = v
		}
		return nil
	})
	return res, err
}

// runChild runs unit in a child process of the program over a fresh
// work directory: write fills its input directory, read takes the
// outputs from its output directory once the child has succeeded.
func (p *Program) runChild(ctx context.Context, unit string, env []string, write, read func(dir string) error) error {
	work, err := os.MkdirTemp("", "kiln-run-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	in, out := filepath.Join(work, "in"), filepath.Join(work, "out")
	if err := write(in); err != nil {
		return err
	}
	if err := os.Mkdir(out, 0o777); err != nil {
		return err
	}
	cmd := p.Command(ctx, "run", unit, in, out)
	if len(env) > 0 {
		cmd.Env = append(os.Environ(), env...)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.WaitDelay = time.Second
	if err := cmd.Run(); err != nil {
		return childError(ctx, err, stderr.String())
	}
	return read(out)
}

// readValue reads a value of type t the program wrote at base (see
// WriteValues for the layout).
func readValue(base string, t ir.Type) (tensor.Value, error) {
	switch t.Kind {
	case ir.OptionalKind:
		if t.Elem == nil {
			return nil, fmt.Errorf("optional of unknown element type")
		}
		if _, err := os.Stat(base + ".none"); err == nil {
			return &tensor.Optional{Elem: *t.Elem}, nil
		}
		v, err := readValue(base, *t.Elem)
		if err != nil {
			return nil, err
		}
		return &tensor.Optional{Elem: *t.Elem, Value: v}, nil
	case ir.SequenceKind:
		if t.Elem == nil {
			return nil, fmt.Errorf("sequence of unknown element type")
		}
		if _, err := os.Stat(base + ".seq"); err != nil {
			return nil, err
		}
		s := &tensor.Sequence{Elem: *t.Elem, Items: []tensor.Value{}}
		for k := 0; ; k++ {
			p := filepath.Join(base+".seq", strconv.Itoa(k)+".npy")
			if _, err := os.Stat(p); err != nil {
				return s, nil
			}
			x, err := tensor.ReadNPYFile(p)
			if err != nil {
				return nil, err
			}
			s.Items = append(s.Items, x)
		}
	}
	return tensor.ReadNPYFile(base + ".npy")
}

// WriteValues writes inputs into dir (creating it) in the layout the
// program reads: input i as i.npy for a tensor, the folder i.seq holding
// 0.npy, 1.npy, ... for a sequence, the empty file i.none for an empty
// optional, and a present optional as its value.
func WriteValues(dir string, inputs []tensor.Value) error {
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return err
	}
	var write func(base string, v tensor.Value) error
	write = func(base string, v tensor.Value) error {
		switch x := v.(type) {
		case *tensor.Tensor:
			if x.DType == ir.BF16 {
				// NumPy has no bfloat16: the bits travel as uint16.
				x = &tensor.Tensor{DType: ir.U16, Shape: x.Shape, Data: bf16Bits(x)}
			}
			return tensor.WriteNPYFile(base+".npy", x)
		case *tensor.Optional:
			if x.Value == nil {
				return os.WriteFile(base+".none", nil, 0o666)
			}
			return write(base, x.Value)
		case *tensor.Sequence:
			if err := os.Mkdir(base+".seq", 0o777); err != nil {
				return err
			}
			for k, it := range x.Items {
				t, ok := it.(*tensor.Tensor)
				if !ok {
					return fmt.Errorf("item %d is a %v; the compiled engine takes sequences of tensors", k, it.Type())
				}
				if err := write(filepath.Join(base+".seq", strconv.Itoa(k)), t); err != nil {
					return err
				}
			}
			return nil
		}
		return fmt.Errorf("a %T is no value the compiled engine takes", v)
	}
	for i, v := range inputs {
		if err := write(filepath.Join(dir, strconv.Itoa(i)), v); err != nil {
			return fmt.Errorf("input %d: %w", i, err)
		}
	}
	return nil
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
