package passes

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/kiln-ml/kiln/internal/suggest"
	"github.com/kiln-ml/kiln/ir"
)

// Pass is one transformation of a module, as a value in the pass table.
type Pass struct {
	// Name is how pipelines and the command line name the pass.
	Name string
	// Summary is one line saying what the pass does; Doc explains it,
	// with a before/after example in text IR.
	Summary, Doc string
	// Run transforms m in place and counts what it did in st (counter
	// name → count: "ops removed", "folded", ...).
	Run func(m *ir.Module, st Stats) error
	// Requires names passes whose results this one relies on (they must
	// run earlier in the pipeline); Invalidates names analyses or
	// properties the pass may break. Both are documentation the manager
	// checks: a pipeline that runs a pass before one it requires is
	// refused.
	Requires, Invalidates []string
}

// Stats counts what a pass did, by counter name.
type Stats map[string]int

// Add adds n to counter name; zero counts are not recorded.
func (s Stats) Add(name string, n int) {
	if n != 0 {
		s[name] += n
	}
}

// String lists the counters sorted by name: "folded=3 ops removed=5".
func (s Stats) String() string {
	names := make([]string, 0, len(s))
	for n := range s {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s=%d", n, s[n])
	}
	return strings.Join(parts, " ")
}

var table = map[string]*Pass{}

// register adds p to the pass table; passes register themselves from
// their files' init functions.
func register(p *Pass) {
	if _, dup := table[p.Name]; dup {
		panic("passes: pass " + p.Name + " registered twice")
	}
	table[p.Name] = p
}

// Lookup returns the pass named name, or an error naming the closest
// known pass.
func Lookup(name string) (*Pass, error) {
	if p := table[name]; p != nil {
		return p, nil
	}
	msg := fmt.Sprintf("unknown pass %q", name)
	if c := suggest.Closest(name, Names()); c != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", c)
	}
	return nil, fmt.Errorf("%s; `kiln opt --list` lists the passes", msg)
}

// Names returns the names of every pass, sorted.
func Names() []string {
	names := make([]string, 0, len(table))
	for n := range table {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Default is the pipeline a module gets when neither the target profile
// nor the command line names one.
var Default = []string{"noop", "fold", "cse", "fuse", "epilogue", "group", "dce"}

// ParsePipeline reads a comma-separated list of pass names ("noop,cse,dce"),
// "none" for the empty pipeline or "default" for Default, and removes the
// names in disable. It refuses unknown names and a pass listed before one
// it requires.
func ParsePipeline(spec string, disable []string) ([]*Pass, error) {
	var names []string
	switch strings.TrimSpace(spec) {
	case "none":
	case "", "default":
		names = Default
	default:
		for _, n := range strings.Split(spec, ",") {
			n = strings.TrimSpace(n)
			if n == "" {
				return nil, fmt.Errorf("pipeline %q has an empty pass name", spec)
			}
			names = append(names, n)
		}
	}
	off := map[string]bool{}
	for _, n := range disable {
		if _, err := Lookup(n); err != nil {
			return nil, err
		}
		off[n] = true
	}
	var out []*Pass
	seen := map[string]bool{}
	for _, n := range names {
		if off[n] {
			continue
		}
		p, err := Lookup(n)
		if err != nil {
			return nil, err
		}
		for _, r := range p.Requires {
			if !seen[r] {
				return nil, fmt.Errorf("pass %s requires %s to run before it", n, r)
			}
		}
		seen[n] = true
		out = append(out, p)
	}
	return out, nil
}

// Instrument says what the manager reports around each pass.
type Instrument struct {
	// PrintBefore and PrintAfter name passes (or "all") whose input or
	// output module is printed to Out.
	PrintBefore, PrintAfter []string
	// DumpDir, when set, receives one numbered .kir file per pass with
	// the module after it (00-input.kir, 01-noop.kir, ...).
	DumpDir string
	// Verify runs ir.Verify after each pass and stops at the first pass
	// that leaves an invalid module, naming it.
	Verify bool
	// Out receives printed modules; os.Stderr when nil.
	Out io.Writer
}

// Result records one pass run.
type Result struct {
	Pass                string
	Stats               Stats
	Duration            time.Duration
	OpsBefore, OpsAfter int
}

// Run runs the pipeline over m in order, with the instrumentation in, and
// returns what each pass did. A pass that fails, or leaves a module the
// verifier refuses when in.Verify is set, stops the pipeline with an error
// naming it.
func Run(m *ir.Module, pipeline []*Pass, in Instrument) ([]Result, error) {
	out := in.Out
	if out == nil {
		out = os.Stderr
	}
	if in.DumpDir != "" {
		if err := os.MkdirAll(in.DumpDir, 0o755); err != nil {
			return nil, err
		}
		if err := dump(m, in.DumpDir, 0, "input"); err != nil {
			return nil, err
		}
	}
	var results []Result
	for i, p := range pipeline {
		if listed(in.PrintBefore, p.Name) {
			fmt.Fprintf(out, "// ----- before %s -----\n%s", p.Name, m.String())
		}
		r := Result{Pass: p.Name, Stats: Stats{}, OpsBefore: CountOps(m)}
		start := time.Now()
		if err := p.Run(m, r.Stats); err != nil {
			return results, fmt.Errorf("pass %s: %w", p.Name, err)
		}
		r.Duration = time.Since(start)
		r.OpsAfter = CountOps(m)
		results = append(results, r)
		if in.Verify {
			if err := ir.Verify(m); err != nil {
				return results, fmt.Errorf("pass %s left an invalid module: %w", p.Name, err)
			}
		}
		if listed(in.PrintAfter, p.Name) {
			fmt.Fprintf(out, "// ----- after %s -----\n%s", p.Name, m.String())
		}
		if in.DumpDir != "" {
			if err := dump(m, in.DumpDir, i+1, p.Name); err != nil {
				return results, err
			}
		}
	}
	return results, nil
}

func listed(names []string, name string) bool {
	for _, n := range names {
		if n == "all" || n == name {
			return true
		}
	}
	return false
}

func dump(m *ir.Module, dir string, i int, name string) error {
	path := filepath.Join(dir, fmt.Sprintf("%02d-%s.kir", i, name))
	return os.WriteFile(path, []byte(m.String()), 0o644)
}

// CountOps counts the ops of every function of m, those inside nested
// regions included, except the ops of a fused op's epilogue or prologue
// region: those are part of their fused op (one kernel, docs/ir.md).
func CountOps(m *ir.Module) int {
	n := 0
	for _, f := range m.Funcs {
		n += countRegion(f.Body, false)
	}
	return n
}

// CountAllOps is CountOps with the epilogue ops counted too.
func CountAllOps(m *ir.Module) int {
	n := 0
	for _, f := range m.Funcs {
		n += countRegion(f.Body, true)
	}
	return n
}

// CountKernels estimates the kernels codegen emits for m: the ops
// CountOps counts, less those with the View trait (they share their
// operand's storage and need no code).
func CountKernels(m *ir.Module) int {
	n := 0
	var walk func(r *ir.Region)
	walk = func(r *ir.Region) {
		for _, op := range r.Ops {
			if d := ir.Lookup(op.Name); d == nil || !d.Has(ir.View) {
				n++
			}
			if ir.IsFused(op.Name) {
				continue
			}
			for _, sub := range op.Regions {
				walk(sub)
			}
		}
	}
	for _, f := range m.Funcs {
		walk(f.Body)
	}
	return n
}

func countRegion(r *ir.Region, epilogues bool) int {
	n := len(r.Ops)
	for _, op := range r.Ops {
		if ir.IsFused(op.Name) && !epilogues {
			continue
		}
		for _, sub := range op.Regions {
			n += countRegion(sub, epilogues)
		}
	}
	return n
}

// Histogram counts the ops of m by op name as CountOps counts them.
func Histogram(m *ir.Module) map[string]int {
	h := map[string]int{}
	var walk func(r *ir.Region)
	walk = func(r *ir.Region) {
		for _, op := range r.Ops {
			h[op.Name]++
			if ir.IsFused(op.Name) {
				continue
			}
			for _, sub := range op.Regions {
				walk(sub)
			}
		}
	}
	for _, f := range m.Funcs {
		walk(f.Body)
	}
	return h
}

// WriteTimes writes the per-pass table `--time-passes` prints.
func WriteTimes(w io.Writer, results []Result) {
	var total time.Duration
	for _, r := range results {
		total += r.Duration
	}
	fmt.Fprintf(w, "%-10s %10s %7s %7s  %s\n", "pass", "time", "ops in", "ops out", "stats")
	for _, r := range results {
		fmt.Fprintf(w, "%-10s %10s %7d %7d  %s\n", r.Pass, r.Duration.Round(time.Microsecond), r.OpsBefore, r.OpsAfter, r.Stats)
	}
	fmt.Fprintf(w, "%-10s %10s\n", "total", total.Round(time.Microsecond))
}
