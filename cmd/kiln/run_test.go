package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kiln-ml/kiln/ir/tensor"
)

// negKir negates a [1,5] vector: a class vector whose summary is easy to
// work out by hand.
const negKir = `func @main(%x "x": f32[1,5]) -> ("y": f32[1,5]) {
  %y = Neg(%x) : f32[1,5] loc("negate")
  return %y
}
`

// symKir negates an [n,3] matrix; n is bounded to [1, 8].
const symKir = `sym n in [1, 8]

func @main(%x "x": f32[n,3], %k "k": i64[2]) -> ("y": f32[n,3], "k2": i64[2]) {
  %y = Neg(%x) : f32[n,3]
  %k2 = Neg(%k) : i64[2]
  return %y, %k2
}
`

// loopKir runs a billion iterations: only a timeout or Ctrl-C ends it.
const loopKir = `const @m : i64[] = 1000000000
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

// writeNPY writes t to dir/name and returns the path.
func writeNPY(t *testing.T, dir, name string, x *tensor.Tensor) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := tensor.WriteNPYFile(p, x); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRunSummary(t *testing.T) {
	dir := t.TempDir()
	model := writeFile(t, dir, "neg.kir", negKir)
	x := writeNPY(t, dir, "x.npy", tensor.FromSlice([]int{1, 5}, []float32{3, 1, 4, 1, 5}))
	code, stdout, stderr := runCLI("run", model, x, "--top", "3", "--time")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// y = [-3 -1 -4 -1 -5]: the ties at -1 keep index order.
	want := "y\tf32\t[1,5]\n" +
		"  min -5  max -1  mean -2.8\n" +
		"  values: -3 -1 -4 -1 -5\n" +
		"  top 3: [1] -1, [3] -1, [0] -3\n"
	if stdout != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", stdout, want)
	}
	if !strings.Contains(stderr, "kiln run: load ") || !strings.Contains(stderr, ", run ") {
		t.Errorf("--time: stderr %q", stderr)
	}

	code, stdout, stderr = runCLI("run", model, "--input", "x="+x, "--json", "--time", "--out", filepath.Join(dir, "out"))
	if code != exitOK {
		t.Fatalf("--json: exit %d: %s", code, stderr)
	}
	var r struct {
		Outputs []struct {
			Name, DType, File string
			Shape             []int
			Stats             struct{ Min, Max, Mean float64 }
			Top               []struct {
				Index int
				Value float64
			}
		}
		LoadSeconds float64 `json:"load_seconds"`
		RunSeconds  float64 `json:"run_seconds"`
	}
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	o := r.Outputs[0]
	if len(r.Outputs) != 1 || o.Name != "y" || o.DType != "f32" || len(o.Shape) != 2 || o.Shape[1] != 5 ||
		o.Stats.Min != -5 || o.Stats.Max != -1 || o.Stats.Mean != -2.8 || len(o.Top) != 5 || o.Top[0].Index != 1 ||
		o.File != filepath.Join(dir, "out", "y.npy") || r.LoadSeconds <= 0 || r.RunSeconds <= 0 {
		t.Errorf("--json report %+v", r)
	}
}

func TestRunRandomInputs(t *testing.T) {
	dir := t.TempDir()
	model := writeFile(t, dir, "sym.kir", symKir)
	code, stdout, stderr := runCLI("run", model, "--random-inputs", "--seed", "7")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "y\tf32\t[1,3]") || !strings.Contains(stdout, "k2\ti64\t[2]") {
		t.Errorf("stdout:\n%s", stdout)
	}
	if !strings.Contains(stderr, "dim n = 1 (default; set it with --dim n=N)") {
		t.Errorf("stderr does not say which size n got: %q", stderr)
	}
	// Integers are drawn from {0, 1}, so their negations lie in [-1, 0].
	var r struct {
		Outputs []struct {
			Shape []int
			Stats struct{ Min, Max float64 }
		}
	}
	_, js, _ := runCLI("run", model, "--random-inputs", "--seed", "7", "--dim", "n=4", "--json")
	if err := json.Unmarshal([]byte(js), &r); err != nil {
		t.Fatal(err)
	}
	if r.Outputs[0].Shape[0] != 4 || r.Outputs[1].Stats.Min < -1 || r.Outputs[1].Stats.Max > 0 {
		t.Errorf("--dim n=4: %+v", r)
	}
	// The same seed gives the same values, another seed others.
	_, again, _ := runCLI("run", model, "--random-inputs", "--seed", "7")
	_, other, _ := runCLI("run", model, "--random-inputs", "--seed", "8")
	if again != stdout || other == stdout {
		t.Errorf("seeded runs: same seed equal %v, other seed differs %v", again == stdout, other != stdout)
	}
	// A given input is used; random values fill only the rest.
	x := writeNPY(t, dir, "x.npy", tensor.FromSlice([]int{2, 3}, []float32{1, 2, 3, 4, 5, 6}))
	code, stdout, stderr = runCLI("run", model, "x="+x, "--random-inputs")
	if code != exitOK || !strings.Contains(stdout, "y\tf32\t[2,3]\n  min -6  max -1") {
		t.Errorf("exit %d\n%s%s", code, stdout, stderr)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--dim", "m=2"}, `no input dim is named "m"; the symbolic dims are "n"; did you mean "n"?`},
		{[]string{"--dim", "n=9"}, "n is bounded to [1, 8]"},
		{[]string{"--dim", "n"}, "want NAME=N"},
		{[]string{"--dim", "n=-1"}, "non-negative"},
	} {
		code, _, stderr := runCLI(append([]string{"run", model, "--random-inputs"}, tt.args...)...)
		if code != exitFailure || !strings.Contains(stderr, tt.want) {
			t.Errorf("%q: exit %d, stderr %q, want %q", tt.args, code, stderr, tt.want)
		}
	}
	// Without --random-inputs a missing input says how to get one.
	if _, _, stderr := runCLI("run", model); !strings.Contains(stderr, "or --random-inputs") {
		t.Errorf("missing inputs: %q", stderr)
	}
}

func TestRunInputErrors(t *testing.T) {
	dir := t.TempDir()
	model := writeFile(t, dir, "neg.kir", negKir)
	x := writeNPY(t, dir, "x.npy", tensor.FromSlice([]int{1, 5}, []float32{3, 1, 4, 1, 5}))
	fifo := filepath.Join(dir, "fifo.npy")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	fifoModel := filepath.Join(dir, "fifo.kir")
	syscall.Mkfifo(fifoModel, 0o644)
	// A .kir whose constant's data file is a FIFO.
	syscall.Mkfifo(filepath.Join(dir, "fifo.data"), 0o644)
	fifoData := writeFile(t, dir, "fifodata.kir", strings.Replace(negKir, "func @main", `const @w : f32[20] = file("fifo.data", offset=0, length=80, sha256="`+strings.Repeat("0", 64)+`")
func @main`, 1))
	// An output file that is the input file: out/y.npy is x.
	out := filepath.Join(dir, "out")
	os.Mkdir(out, 0o755)
	os.Symlink(x, filepath.Join(out, "y.npy"))
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown name", []string{model, "xx=" + x}, `unknown input "xx": the model's inputs are "x"; did you mean "x"?`},
		{"fifo input", []string{model, fifo}, "not a regular file (a named pipe)"},
		{"fifo model", []string{fifoModel, x}, "not a regular file (a named pipe)"},
		{"fifo data file", []string{fifoData, x}, "fifo.data: not a regular file (a named pipe)"},
		{"folder input", []string{model, dir + "/"}, "want a .npy or .pb"},
		{"out is input", []string{model, x, "--out", out}, "refusing to overwrite an input"},
		{"out is a file", []string{model, x, "--out", x}, "--out:"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			done := make(chan struct{})
			var code int
			var stderr string
			go func() {
				code, _, stderr = runCLI(append([]string{"run"}, tt.args...)...)
				close(done)
			}()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("kiln run blocks")
			}
			if code != exitFailure || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q, want %q", code, stderr, tt.want)
			}
		})
	}
	if b, err := os.ReadFile(x); err != nil || len(b) == 0 {
		t.Errorf("the input was damaged: %v", err)
	}
}

func TestRunTimeout(t *testing.T) {
	dir := t.TempDir()
	model := writeFile(t, dir, "loop.kir", loopKir)
	x := writeNPY(t, dir, "x.npy", tensor.FromSlice([]int{2}, []float32{1, 2}))
	start := time.Now()
	code, _, stderr := runCLI("run", model, x, "--timeout", "200ms")
	if code != exitFailure || !strings.Contains(stderr, `timed out after 200ms while executing node "inner_neg" (Neg)`) {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v", d)
	}
}

// Ctrl-C ends a run with a message naming the node being executed. The
// test binary acts as kiln when given a command (see TestMain).
func TestRunInterrupt(t *testing.T) {
	dir := t.TempDir()
	model := writeFile(t, dir, "loop.kir", loopKir)
	x := writeNPY(t, dir, "x.npy", tensor.FromSlice([]int{2}, []float32{1, 2}))
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// The signal must come after kiln has started its run; a loaded
	// machine may take longer than the first wait, so try longer ones
	// when the child died of the signal before it could catch it.
	var cmd *exec.Cmd
	var stderr strings.Builder
	for _, wait := range []time.Duration{1500 * time.Millisecond, 5 * time.Second, 15 * time.Second} {
		cmd = exec.Command(exe, "run", model, x)
		stderr.Reset()
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(wait)
		cmd.Process.Signal(os.Interrupt)
		waited := make(chan error, 1)
		go func() { waited <- cmd.Wait() }()
		select {
		case <-waited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			t.Fatal("kiln run did not stop on SIGINT")
		}
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
			break
		}
	}
	if code := cmd.ProcessState.ExitCode(); code != exitInterrupted || !strings.Contains(stderr.String(), `interrupted while executing node "inner_neg" (Neg)`) {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
}

// growKir fills a tensor whose size comes from its input.
const growKir = `func @main(%s "s": i64[1]) -> ("y": f32[?]) {
  %y = ConstantOfShape(%s) : f32[?] loc("fill")
  return %y
}
`

// --max-memory refuses a tensor over the budget with an error naming the
// node, the shape and the bytes; without it the same run succeeds.
func TestRunMaxMemory(t *testing.T) {
	t.Cleanup(func() { tensor.SetMaxBytes(0) })
	dir := t.TempDir()
	model := writeFile(t, dir, "grow.kir", growKir)
	s := writeNPY(t, dir, "s.npy", tensor.FromSlice([]int{1}, []int64{1 << 19}))
	code, _, stderr := runCLI("run", model, s, "--max-memory", "1")
	want := `node "fill" (ConstantOfShape): tensor f32[524288] needs 2097152 bytes, over the memory budget of 1048576 bytes`
	if code != exitFailure || !strings.Contains(stderr, want) {
		t.Errorf("exit %d, stderr %q, want %q", code, stderr, want)
	}
	if code, _, stderr := runCLI("run", model, s, "--max-memory", "3"); code != 0 {
		t.Errorf("under a 3 MiB budget: exit %d, stderr %q", code, stderr)
	}
	if code, _, _ := runCLI("run", model, s, "--max-memory", "-1"); code != exitUsage {
		t.Errorf("negative --max-memory: exit %d, want %d", code, exitUsage)
	}
}
