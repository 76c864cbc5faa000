package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/kiln-ml/kiln/passes"
	"github.com/kiln-ml/kiln/targets"
)

func init() {
	commands = append(commands,
		command{
			name:    "opt",
			usage:   "kiln opt [--passes LIST|none|default] [--target PROFILE] [--disable-pass LIST] [--print-before P|all] [--print-after P|all] [--dump-dir DIR] [--time-passes] [--list] [-o FILE.kir] MODEL.onnx|FILE.kir",
			summary: "run optimization passes over a model and print the resulting text IR",
			run:     runOpt,
		},
		command{
			name:    "targets",
			usage:   "kiln targets [--json]",
			summary: "list the built-in target profiles",
			run:     runTargets,
		},
		command{
			name:    "stats",
			usage:   "kiln stats [--passes LIST|none|default] [--target PROFILE] [--disable-pass LIST] [--json] MODEL.onnx|FILE.kir",
			summary: "count a model's ops by type, as imported or after a pipeline of passes",
			run:     runStats,
		})
}

// pipelineFlags are the flags opt, stats and dump share.
type pipelineFlags struct {
	passes, disable, target *string
	fs                      *flag.FlagSet
}

func addPipelineFlags(fs *flag.FlagSet, defaultPasses string) pipelineFlags {
	return pipelineFlags{
		passes:  fs.String("passes", defaultPasses, "comma-separated `LIST` of passes to run, or none, or default ("+strings.Join(passes.Default, ",")+")"),
		disable: fs.String("disable-pass", "", "comma-separated `LIST` of passes to leave out of the pipeline"),
		target:  fs.String("target", "", "run the pipeline of target `PROFILE` (a built-in name, see kiln targets, or a .target file) unless --passes is given"),
		fs:      fs,
	}
}

// pipeline returns the passes the flags choose: --passes when given, else
// the target's pipeline when --target is given, else the flag's default.
func (p pipelineFlags) pipeline() ([]*passes.Pass, error) {
	if *p.target != "" {
		prof, err := targets.Lookup(*p.target)
		if err != nil {
			if strings.ContainsRune(*p.target, os.PathSeparator) || strings.HasSuffix(*p.target, ".target") {
				return nil, &profileError{err} // a file that would not read or parse
			}
			return nil, err
		}
		if !isSet(p.fs, "passes") {
			*p.passes = prof.Passes
		}
	}
	var off []string
	if *p.disable != "" {
		for _, n := range strings.Split(*p.disable, ",") {
			off = append(off, strings.TrimSpace(n))
		}
	}
	return passes.ParsePipeline(*p.passes, off)
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func runOpt(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("opt", stderr)
	pf := addPipelineFlags(fs, "default")
	before := fs.String("print-before", "", "print the module before each pass in `LIST` (comma-separated, or all) to stderr")
	after := fs.String("print-after", "", "print the module after each pass in `LIST` (comma-separated, or all) to stderr")
	dumpDir := fs.String("dump-dir", "", "write the module after each pass into `DIR` as numbered .kir files")
	timePasses := fs.Bool("time-passes", false, "print each pass's time, op counts and statistics to stderr")
	list := fs.Bool("list", false, "list the passes and exit")
	out := fs.String("o", "", "write the text IR to `FILE` instead of stdout")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if *list {
		for _, n := range passes.Names() {
			p, _ := passes.Lookup(n)
			fmt.Fprintf(stdout, "%-8s %s\n", n, p.Summary)
		}
		fmt.Fprintf(stdout, "\ndefault pipeline: %s\n", strings.Join(passes.Default, ","))
		return exitOK
	}
	if fs.NArg() != 1 {
		return usageError(fs, "want exactly one model")
	}
	pipeline, err := pf.pipeline()
	if err != nil {
		return pipelineFailure(fs, stderr, "opt", err)
	}
	for _, names := range []string{*before, *after} {
		for _, n := range splitList(names) {
			if n == "all" {
				continue
			}
			if _, err := passes.Lookup(n); err != nil {
				return usageError(fs, "%v", err)
			}
		}
	}
	model := fs.Arg(0)
	m, err := loadModel(model)
	if err != nil {
		return fail(stderr, "opt", err)
	}
	defer m.Close()
	if err := checkOutputs(moduleFiles(model, m), *out); err != nil {
		return fail(stderr, "opt", err)
	}
	results, err := passes.Run(m, pipeline, passes.Instrument{
		PrintBefore: splitList(*before),
		PrintAfter:  splitList(*after),
		DumpDir:     *dumpDir,
		Verify:      true,
		Out:         stderr,
	})
	if *timePasses {
		passes.WriteTimes(stderr, results)
	}
	if err != nil {
		return fail(stderr, "opt", err)
	}
	if err := writeModule(m, *out, 0, stdout); err != nil {
		return fail(stderr, "opt", err)
	}
	return exitOK
}

func runStats(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("stats", stderr)
	pf := addPipelineFlags(fs, "none")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 {
		return usageError(fs, "want exactly one model")
	}
	pipeline, err := pf.pipeline()
	if err != nil {
		return pipelineFailure(fs, stderr, "stats", err)
	}
	m, err := loadModel(fs.Arg(0))
	if err != nil {
		return fail(stderr, "stats", err)
	}
	defer m.Close()
	imported := passes.CountOps(m)
	results, err := passes.Run(m, pipeline, passes.Instrument{Verify: true, Out: stderr})
	if err != nil {
		return fail(stderr, "stats", err)
	}
	type passStats struct {
		Pass  string         `json:"pass"`
		Stats map[string]int `json:"stats"`
	}
	rep := struct {
		Model    string         `json:"model"`
		Imported int            `json:"imported_ops"`
		Ops      int            `json:"ops"`
		AllOps   int            `json:"ops_with_epilogues"`
		Kernels  int            `json:"kernels"`
		ByType   map[string]int `json:"by_type"`
		Passes   []passStats    `json:"passes"`
	}{Model: filepath.Base(fs.Arg(0)), Imported: imported, Ops: passes.CountOps(m), AllOps: passes.CountAllOps(m), Kernels: passes.CountKernels(m), ByType: passes.Histogram(m), Passes: []passStats{}}
	for _, r := range results {
		rep.Passes = append(rep.Passes, passStats{r.Pass, r.Stats})
	}
	if *asJSON {
		b, _ := json.MarshalIndent(rep, "", "  ")
		fmt.Fprintf(stdout, "%s\n", b)
		return exitOK
	}
	fmt.Fprintf(stdout, "%s: %d ops imported, %d after the pipeline (%d with the ops of fused epilogues), about %d kernels\n", rep.Model, rep.Imported, rep.Ops, rep.AllOps, rep.Kernels)
	for _, r := range results {
		fmt.Fprintf(stdout, "  %-6s %s\n", r.Pass, r.Stats)
	}
	names := make([]string, 0, len(rep.ByType))
	for n := range rep.ByType {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		if rep.ByType[names[i]] != rep.ByType[names[j]] {
			return rep.ByType[names[i]] > rep.ByType[names[j]]
		}
		return names[i] < names[j]
	})
	for _, n := range names {
		fmt.Fprintf(stdout, "%6d %s\n", rep.ByType[n], n)
	}
	return exitOK
}

// isSet reports whether the command line set flag name.
func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			set = true
		}
	})
	return set
}

func runTargets(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("targets", stderr)
	asJSON := fs.Bool("json", false, "print the profiles as JSON")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() != 0 {
		return usageError(fs, "takes no arguments")
	}
	ps := targets.Builtin()
	if *asJSON {
		type view struct {
			*targets.Profile
			DTypes []string
		}
		var vs []view
		for _, p := range ps {
			v := view{Profile: p}
			for _, d := range p.DTypes {
				v.DTypes = append(v.DTypes, d.String())
			}
			vs = append(vs, v)
		}
		b, _ := json.MarshalIndent(vs, "", "  ")
		fmt.Fprintf(stdout, "%s\n", b)
		return exitOK
	}
	for _, p := range ps {
		budget := "no RAM budget"
		if p.RAMBudget > 0 {
			budget = "RAM budget " + targets.FormatBytes(p.RAMBudget)
		}
		threads := fmt.Sprintf("%d threads", p.Threads)
		if p.Threads == 1 {
			threads = "1 thread"
		} else if p.Threads == 0 {
			threads = "a thread per CPU"
		}
		fmt.Fprintf(stdout, "%-17s %s\n%17s %s, %s, %s; passes %s\n", p.Name, p.Summary, "", p.Arch, threads, budget, p.Passes)
	}
	return exitOK
}

// profileError is a --target profile that could not be read or parsed: a
// bad input (exit 1), where a bad pass name is a usage error.
type profileError struct{ err error }

func (e *profileError) Error() string { return e.err.Error() }

// pipelineFailure reports an error of pipelineFlags.pipeline for command
// name: a bad profile file fails the command, anything else is a usage
// error.
func pipelineFailure(fs *flag.FlagSet, stderr io.Writer, name string, err error) int {
	var pe *profileError
	if errors.As(err, &pe) {
		return fail(stderr, name, err)
	}
	return usageError(fs, "%v", err)
}
