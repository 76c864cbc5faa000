package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/kiln-ml/kiln/frontend/gguf"
	"github.com/kiln-ml/kiln/ir/quant"
)

func init() {
	commands = append(commands, command{
		name:    "inspect",
		usage:   "kiln inspect [--json] MODEL.gguf",
		summary: "describe a GGUF file: version, metadata (long arrays summarized), tensor table (name, type, shape, bytes), totals",
		run:     runInspect,
	})
}

// Text output shows an array's first arrayItems items and a string's
// first stringBytes bytes; --json shows everything.
const (
	arrayItems  = 8
	stringBytes = 120
)

// ggufInfo is what kiln inspect --json prints.
type ggufInfo struct {
	Path       string       `json:"path"`
	Version    uint32       `json:"version"`
	Alignment  int64        `json:"alignment"`
	DataOffset int64        `json:"data_offset"`
	FileBytes  int64        `json:"file_bytes"`
	Metadata   []ggufKV     `json:"metadata"`
	Tensors    []ggufTensor `json:"tensors"`
	Totals     ggufTotals   `json:"totals"`
}

type ggufKV struct {
	Key     string     `json:"key"`
	Type    string     `json:"type"`
	Element string     `json:"element_type,omitempty"` // arrays only
	Len     *int       `json:"length,omitempty"`       // arrays only
	Value   gguf.Value `json:"value"`
}

type ggufTensor struct {
	Name     string   `json:"name"`
	Type     string   `json:"type"`
	Shape    []uint64 `json:"shape"` // ggml order: the row length first
	Offset   int64    `json:"offset"`
	Bytes    int64    `json:"bytes"`
	Elements int64    `json:"elements"`
}

type ggufTotals struct {
	Tensors  int         `json:"tensors"`
	Elements int64       `json:"elements"`
	Bytes    int64       `json:"bytes"`
	ByType   []typeTotal `json:"by_type"` // most bytes first
}

type typeTotal struct {
	Type     string `json:"type"`
	Tensors  int    `json:"tensors"`
	Elements int64  `json:"elements"`
	Bytes    int64  `json:"bytes"`
}

func runInspect(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("inspect", stderr)
	asJSON := fs.Bool("json", false, "print everything as JSON, arrays in full")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 {
		return usageError(fs, "want exactly one GGUF file")
	}
	f, err := gguf.Open(fs.Arg(0))
	if err != nil {
		return fail(stderr, "inspect", err)
	}
	defer f.Close()
	info := describeGGUF(fs.Arg(0), f)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false) // tokens such as "<s>" read as themselves
		if err := enc.Encode(info); err != nil {
			return fail(stderr, "inspect", err)
		}
		return exitOK
	}
	info.print(stdout)
	return exitOK
}

// describeGGUF gathers ggufInfo from f.
func describeGGUF(path string, f *gguf.File) ggufInfo {
	info := ggufInfo{
		Path: path, Version: f.Version, Alignment: f.Alignment, DataOffset: f.DataOffset, FileBytes: f.Size,
		Metadata: []ggufKV{}, Tensors: []ggufTensor{}, Totals: ggufTotals{ByType: []typeTotal{}},
	}
	for _, kv := range f.KV {
		e := ggufKV{Key: kv.Key, Type: kv.Value.Type().String(), Value: kv.Value}
		if et, ok := kv.Value.Elem(); ok {
			n := kv.Value.Len()
			e.Element, e.Len = et.String(), &n
		}
		info.Metadata = append(info.Metadata, e)
	}
	byType := map[quant.GGMLType]*typeTotal{}
	for i := range f.Tensors {
		t := &f.Tensors[i]
		n := t.Elements()
		info.Tensors = append(info.Tensors, ggufTensor{t.Name, t.Type.String(), append([]uint64{}, t.Dims...), t.Offset, t.Bytes, n})
		info.Totals.Tensors++
		info.Totals.Elements += n
		info.Totals.Bytes += t.Bytes
		tt := byType[t.Type]
		if tt == nil {
			tt = &typeTotal{Type: t.Type.String()}
			byType[t.Type] = tt
		}
		tt.Tensors++
		tt.Elements += n
		tt.Bytes += t.Bytes
	}
	for _, tt := range byType {
		info.Totals.ByType = append(info.Totals.ByType, *tt)
	}
	sort.Slice(info.Totals.ByType, func(i, j int) bool {
		a, b := info.Totals.ByType[i], info.Totals.ByType[j]
		return a.Bytes > b.Bytes || a.Bytes == b.Bytes && a.Type < b.Type
	})
	return info
}

// print writes info as aligned text: a summary, the metadata with long
// arrays and strings cut short, the tensor table and the totals by type.
func (info ggufInfo) print(out io.Writer) {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "file\t%s\n", printable(info.Path))
	fmt.Fprintf(w, "version\t%d\n", info.Version)
	fmt.Fprintf(w, "alignment\t%d\n", info.Alignment)
	fmt.Fprintf(w, "data\tat offset %s, %s bytes\n", thousands(info.DataOffset), thousands(max(info.FileBytes-info.DataOffset, 0)))
	fmt.Fprintf(w, "metadata\t%d keys\n", len(info.Metadata))
	fmt.Fprintf(w, "tensors\t%d, %s elements, %s bytes\n", info.Totals.Tensors, thousands(info.Totals.Elements), thousands(info.Totals.Bytes))
	w.Flush()
	if len(info.Metadata) > 0 {
		fmt.Fprintln(out, "\nmetadata:")
		for _, kv := range info.Metadata {
			typ := kv.Type
			if kv.Element != "" {
				typ = "[" + kv.Element + "]"
			}
			fmt.Fprintf(w, "  %s\t%s\t%s\n", printable(kv.Key), typ, summarizeValue(kv.Value))
		}
		w.Flush()
	}
	if len(info.Tensors) > 0 {
		fmt.Fprintln(out, "\ntensors:")
		fmt.Fprintf(w, "  name\ttype\tshape\tbytes\n")
		for _, t := range info.Tensors {
			s := "["
			for i, d := range t.Shape {
				if i > 0 {
					s += " "
				}
				s += strconv.FormatUint(d, 10)
			}
			fmt.Fprintf(w, "  %s\t%s\t%s]\t%s\n", printable(t.Name), t.Type, s, thousands(t.Bytes))
		}
		w.Flush()
		fmt.Fprintln(out, "\ntotals by type:")
		for _, tt := range info.Totals.ByType {
			fmt.Fprintf(w, "  %s\t%d tensors\t%s elements\t%s bytes\n", tt.Type, tt.Tensors, thousands(tt.Elements), thousands(tt.Bytes))
		}
		w.Flush()
	}
}

// summarizeValue formats a metadata value for the text output: arrays cut to
// their first items, a long string to its first bytes, each with its
// length. Control characters are escaped, so a value cannot break the
// table.
func summarizeValue(v gguf.Value) string {
	s, ok := v.Str()
	if !ok {
		return v.Summary(arrayItems)
	}
	if len(s) <= stringBytes {
		return strconv.Quote(s)
	}
	cut := stringBytes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + fmt.Sprintf("... (%d bytes)", len(s))
}
