package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/kiln-ml/kiln/frontend/onnx"
	"github.com/kiln-ml/kiln/ir"
)

func init() {
	commands = append(commands, command{
		name:    "dump",
		usage:   "kiln dump [-o OUT.kir] [--data-out DATA] [--inline N] MODEL.onnx|FILE.kir",
		summary: "print a model's kiln IR in text form",
		run:     runDump,
	})
}

func runDump(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("dump", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("o", "", "write the text to this file instead of standard output")
	dataOut := fs.String("data-out", "", "write large constants to this data file and refer to it")
	inline := fs.Int("inline", 0, "largest constant printed inline although it lies in a file (0: 16, -1: all)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: kiln dump [-o OUT.kir] [--data-out DATA] [--inline N] MODEL.onnx|FILE.kir")
		return 2
	}
	in := fs.Arg(0)
	var m *ir.Module
	var err error
	if strings.HasSuffix(in, ".kir") {
		var src []byte
		if src, err = os.ReadFile(in); err == nil {
			m, err = ir.Parse(in, src, ir.ParseOptions{BaseDir: filepath.Dir(in)})
		}
	} else {
		m, err = onnx.Import(in)
	}
	if err != nil {
		fmt.Fprintln(stderr, "kiln dump:", err)
		return 1
	}
	defer m.Close()
	if *dataOut != "" {
		if err := ir.WriteDataFile(m, *dataOut); err != nil {
			fmt.Fprintln(stderr, "kiln dump:", err)
			return 1
		}
	}
	// File references are printed relative to where the text goes, so
	// that `kiln dump -o dir/x.kir` output parses from dir.
	opts := ir.PrintOptions{InlineLimit: *inline}
	w := stdout
	if *out != "" {
		opts.BaseDir = filepath.Dir(*out)
		f, err := os.Create(*out)
		if err != nil {
			fmt.Fprintln(stderr, "kiln dump:", err)
			return 1
		}
		defer f.Close()
		w = f
	} else {
		opts.BaseDir = "."
	}
	bw := bufio.NewWriter(w)
	if err := ir.Print(bw, m, opts); err == nil {
		err = bw.Flush()
	}
	if err != nil {
		fmt.Fprintln(stderr, "kiln dump:", err)
		return 1
	}
	return 0
}
