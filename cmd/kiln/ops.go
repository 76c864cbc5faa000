package main

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/kiln-ml/kiln/frontend/onnx"
	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/interp"
)

func init() {
	commands = append(commands, command{
		name:    "ops",
		usage:   "kiln ops",
		summary: "list the ONNX ops the importer converts (with opset ranges) and kiln's op table",
		run:     runOps,
	})
}

func runOps(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("ops", stderr)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() != 0 {
		return usageError(fs, "takes no arguments")
	}
	sup := onnx.SupportedOps()
	fmt.Fprintf(stdout, "ONNX ops imported (%d; opsets %d..%d):\n", len(sup), onnx.MinOpset, onnx.MaxOpset)
	for _, s := range sup {
		name := s.OpType
		if s.Domain != "" {
			name = s.Domain + "." + name
		}
		fmt.Fprintf(stdout, "  %-28s %s\n", name, opsetRanges(s.Ranges))
	}
	defs := ir.Ops()
	fmt.Fprintf(stdout, "\nkiln ops (%d; * = no interpreter kernel; operands as name:type constraint, ... variadic, ? optional):\n", len(defs))
	for _, d := range defs {
		mark := " "
		if !interp.HasKernel(d.Name) {
			mark = "*"
		}
		fmt.Fprintf(stdout, " %s%-24s %-11s %s -> %s%s\n", mark, d.Name, d.Kind,
			operandList(d.Inputs), operandList(d.Outputs), attrList(d))
		if d.Doc != "" {
			fmt.Fprintf(stdout, "    %s\n", d.Doc)
		}
		fmt.Fprintf(stdout, "    %s\n", contractLine(d))
	}
	return exitOK
}

// opsetRanges renders [since, until] pairs as "1-5, 6-12, 13+".
func opsetRanges(rs [][2]int64) string {
	var parts []string
	for _, r := range rs {
		switch {
		case r[1] == 0:
			parts = append(parts, fmt.Sprintf("%d+", r[0]))
		case r[0] == r[1]:
			parts = append(parts, fmt.Sprint(r[0]))
		default:
			parts = append(parts, fmt.Sprintf("%d-%d", r[0], r[1]))
		}
	}
	return strings.Join(parts, ", ")
}

func operandList(os []ir.Operand) string {
	var parts []string
	for _, o := range os {
		s := o.Name + ":" + o.Type
		if o.Variadic {
			s += "..."
		}
		if o.Optional {
			s += "?"
		}
		parts = append(parts, s)
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

func attrList(d *ir.OpDef) string {
	var parts []string
	for _, a := range d.Attrs {
		s := a.Name + ":" + a.Kind.String()
		switch {
		case len(a.Enum) > 0:
			s = a.Name + ":" + strings.Join(a.Enum, "|")
		case a.Ranged && a.Hi == math.MaxInt64:
			s += fmt.Sprintf(">=%d", a.Lo)
		case a.Ranged:
			s += fmt.Sprintf("[%d..%d]", a.Lo, a.Hi)
		}
		if a.Required {
			s += "!"
		}
		parts = append(parts, s)
	}
	for _, r := range d.Regions {
		parts = append(parts, r+":region")
	}
	if len(parts) == 0 {
		return ""
	}
	return "  {" + strings.Join(parts, " ") + "}"
}

// contractLine shows an op's type constraints and traits: "T: a float type;
// traits: in-place".
func contractLine(d *ir.OpDef) string {
	var parts []string
	for _, c := range d.Types {
		parts = append(parts, c.String())
	}
	line := strings.Join(parts, "; ")
	if d.Traits != 0 {
		line += "; traits: " + d.Traits.String()
	}
	return line
}
