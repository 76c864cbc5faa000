package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/kiln-ml/kiln/ir"
)

func init() {
	commands = append(commands, command{
		name:    "info",
		usage:   "kiln info [--json] MODEL|FILE.kir",
		summary: "describe a model: inputs and outputs, opsets, producer, op histogram, parameters, symbolic dims",
		run:     runInfo,
	})
}

// modelInfo is what kiln info reports.
type modelInfo struct {
	Path       string      `json:"path"`
	Meta       []metaEntry `json:"meta,omitempty"` // source format, producer, IR version, ...
	Opsets     []opset     `json:"opsets,omitempty"`
	Inputs     []valueInfo `json:"inputs"`
	Outputs    []valueInfo `json:"outputs"`
	SymDims    []symDim    `json:"symbolic_dims,omitempty"`
	Constants  int         `json:"constants"`
	Parameters int64       `json:"parameters"`   // elements of all constants
	Weights    int64       `json:"weight_bytes"` // bytes of all constants
	Ops        int         `json:"ops"`          // ops, nested ones included
	Histogram  []opCount   `json:"op_histogram"` // most frequent first
}

type metaEntry struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

type opset struct {
	Domain  string `json:"domain"`
	Version string `json:"version"`
}

type valueInfo struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

type symDim struct {
	Name    string   `json:"name"`
	Bounded bool     `json:"bounded"` // the module declares bounds
	Min     int64    `json:"min"`
	Max     int64    `json:"max"` // -1: no upper bound
	Inputs  []string `json:"inputs,omitempty"`
}

type opCount struct {
	Op    string `json:"op"`
	Count int    `json:"count"`
}

func runInfo(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("info", stderr)
	asJSON := fs.Bool("json", false, "print the description as JSON")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 {
		return usageError(fs, "want exactly one model")
	}
	m, err := loadModel(fs.Arg(0))
	if err != nil {
		return fail(stderr, "info", err)
	}
	defer m.Close()
	info := describe(fs.Arg(0), m)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(info); err != nil {
			return fail(stderr, "info", err)
		}
		return exitOK
	}
	info.print(stdout)
	return exitOK
}

// describe gathers modelInfo from m's first function and its constants.
func describe(path string, m *ir.Module) modelInfo {
	info := modelInfo{Path: path, Inputs: []valueInfo{}, Outputs: []valueInfo{}, Histogram: []opCount{}}
	for _, e := range m.Meta {
		if d, ok := strings.CutPrefix(e.Key, "source.opset."); ok {
			info.Opsets = append(info.Opsets, opset{d, e.Value})
			continue
		}
		info.Meta = append(info.Meta, metaEntry{e.Key, e.Value})
	}
	for _, v := range m.Consts {
		info.Constants++
		if v.Type.Shape.IsStatic() {
			info.Parameters += v.Type.Shape.NumElements()
		}
		if v.Const != nil {
			info.Weights += int64(len(v.Const.Bytes))
			for _, s := range v.Const.Strings {
				info.Weights += int64(len(s))
			}
		}
	}
	bounds := map[string]ir.SymBound{}
	for _, s := range m.Syms {
		bounds[s.Name] = s
	}
	users := map[string][]string{}
	if len(m.Funcs) > 0 {
		f := m.Funcs[0]
		for i, p := range f.Body.Params {
			info.Inputs = append(info.Inputs, valueInfo{f.InputNames[i], p.Type.String()})
			for _, d := range p.Type.Shape.Dims {
				for _, sym := range d.Symbols() {
					if !contains(users[sym], f.InputNames[i]) {
						users[sym] = append(users[sym], f.InputNames[i])
					}
				}
			}
		}
		for i, r := range f.Body.Results {
			info.Outputs = append(info.Outputs, valueInfo{f.OutputNames[i], r.Type.String()})
		}
		counts := map[string]int{}
		var walk func(r *ir.Region)
		walk = func(r *ir.Region) {
			for _, op := range r.Ops {
				counts[op.Name]++
				info.Ops++
				for _, sub := range op.Regions {
					walk(sub)
				}
			}
		}
		walk(f.Body)
		for op, n := range counts {
			info.Histogram = append(info.Histogram, opCount{op, n})
		}
		sort.Slice(info.Histogram, func(i, j int) bool {
			a, b := info.Histogram[i], info.Histogram[j]
			return a.Count > b.Count || a.Count == b.Count && a.Op < b.Op
		})
	}
	names := map[string]bool{}
	for s := range users {
		names[s] = true
	}
	for s := range bounds {
		names[s] = true
	}
	for s := range names {
		d := symDim{Name: s, Min: 0, Max: -1, Inputs: users[s]}
		if b, ok := bounds[s]; ok {
			d.Bounded, d.Min, d.Max = true, b.Min, b.Max
		}
		info.SymDims = append(info.SymDims, d)
	}
	sort.Slice(info.SymDims, func(i, j int) bool { return info.SymDims[i].Name < info.SymDims[j].Name })
	return info
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// print writes info as aligned text.
func (info modelInfo) print(out io.Writer) {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "model\t%s\n", info.Path)
	for _, e := range info.Meta {
		fmt.Fprintf(w, "%s\t%s\n", strings.TrimPrefix(e.Key, "source."), printable(e.Value))
	}
	if len(info.Opsets) > 0 {
		var parts []string
		for _, o := range info.Opsets {
			parts = append(parts, o.Domain+" "+o.Version)
		}
		fmt.Fprintf(w, "opsets\t%s\n", strings.Join(parts, ", "))
	}
	fmt.Fprintf(w, "constants\t%d tensors, %s parameters, %s bytes\n", info.Constants, thousands(info.Parameters), thousands(info.Weights))
	fmt.Fprintf(w, "ops\t%d (%d kinds)\n", info.Ops, len(info.Histogram))
	w.Flush()
	section := func(title string, rows [][2]string) {
		if len(rows) == 0 {
			return
		}
		fmt.Fprintf(out, "\n%s:\n", title)
		for _, r := range rows {
			fmt.Fprintf(w, "  %s\t%s\n", r[0], r[1])
		}
		w.Flush()
	}
	var rows [][2]string
	for _, v := range info.Inputs {
		rows = append(rows, [2]string{printable(v.Name), v.Type})
	}
	section("inputs", rows)
	rows = nil
	for _, v := range info.Outputs {
		rows = append(rows, [2]string{printable(v.Name), v.Type})
	}
	section("outputs", rows)
	rows = nil
	for _, d := range info.SymDims {
		text := "no bounds declared"
		if d.Bounded {
			text = "in " + boundString(ir.SymBound{Name: d.Name, Min: d.Min, Max: d.Max})
		}
		if len(d.Inputs) > 0 {
			text += "  (inputs " + printable(strings.Join(d.Inputs, ", ")) + ")"
		}
		rows = append(rows, [2]string{printable(d.Name), text})
	}
	section("symbolic dims", rows)
	rows = nil
	for _, h := range info.Histogram {
		rows = append(rows, [2]string{h.Op, fmt.Sprint(h.Count)})
	}
	section("op histogram", rows)
}

// thousands prints n with commas between groups of three digits.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
