package compiled

import (
	"fmt"
	"go/format"
	"strings"

	"github.com/kiln-ml/kiln/codegen"
	"github.com/kiln-ml/kiln/ir"
)

// modulePath is the Go module path of every cache entry.
const modulePath = "kilnrun"

// npyDescr is the .npy dtype of each element type the generated packages
// take and return, and the Tensor field holding it. Float16 travels as its
// bits (the package's F16 field is a []uint16); bfloat16 has no NumPy dtype.
var npyDescr = map[ir.DType]struct{ descr, field string }{
	ir.F32:  {"<f4", "F32"},
	ir.F64:  {"<f8", "F64"},
	ir.F16:  {"<f2", "F16"},
	ir.I64:  {"<i8", "I64"},
	ir.I32:  {"<i4", "I32"},
	ir.I16:  {"<i2", "I16"},
	ir.I8:   {"|i1", "I8"},
	ir.U64:  {"<u8", "U64"},
	ir.U32:  {"<u4", "U32"},
	ir.U16:  {"<u2", "U16"},
	ir.U8:   {"|u1", "U8"},
	ir.Bool: {"|b1", "Bool"},
}

// inDescr is the .npy dtype an input of element type d travels as:
// bfloat16, which NumPy lacks, as its bits (WriteInputs writes them so).
func inDescr(d ir.DType) struct{ descr, field string } {
	if isStringIO(d) {
		return struct{ descr, field string }{strDescr, "Str"}
	}
	if d == ir.BF16 {
		return struct{ descr, field string }{"<u2", "BF16"}
	}
	return npyDescr[d]
}

// goElemOf is the Go element type of each Tensor field main fills.
var goElemOf = map[string]string{
	"F32": "float32", "F64": "float64", "F16": "uint16", "I64": "int64", "I32": "int32", "I16": "int16",
	"I8": "int8", "U64": "uint64", "U32": "uint32", "U16": "uint16", "U8": "uint8", "Bool": "bool", "BF16": "uint16",
}

// genUnit is one compiled module inside an entry: its package folder and
// what main needs to call it.
type genUnit struct {
	name     string // the unit's name, as callers pass it
	pkg      string // package name and folder
	manifest *codegen.Manifest
	inTypes  []ir.DType // element types (of the tensors inside a sequence or optional)
	outTypes []ir.DType
	// inKinds and outKinds say what each input and output is: "tensor",
	// "seq", "opt" (an optional tensor) or "optseq" (an optional
	// sequence); see valueKind.
	inKinds  []string
	outKinds []string
}

// valueKind returns the element type of the tensors a value of type t
// holds and its kind for the generated main: "tensor", "seq", "opt" or
// "optseq".
func valueKind(t ir.Type) (ir.DType, string) {
	switch {
	case t.Kind == ir.SequenceKind && t.Elem != nil:
		return t.Elem.DType, "seq"
	case t.Kind == ir.OptionalKind && t.Elem != nil && t.Elem.Kind == ir.SequenceKind && t.Elem.Elem != nil:
		return t.Elem.Elem.DType, "optseq"
	case t.Kind == ir.OptionalKind && t.Elem != nil:
		return t.Elem.DType, "opt"
	}
	return t.DType, "tensor"
}

// mainSource writes the main package that dispatches on unit names. It
// imports only the standard library and the units' packages.
func mainSource(units []*genUnit) ([]byte, error) {
	var b strings.Builder
	b.WriteString(mainHeader)
	b.WriteString("import (\n\"bufio\"\n\"bytes\"\n\"encoding/binary\"\n\"encoding/json\"\n\"fmt\"\n\"os\"\n\"path/filepath\"\n\"strconv\"\n\"strings\"\n\"time\"\n\"unicode\"\n\"unicode/utf8\"\n\n")
	for _, u := range units {
		fmt.Fprintf(&b, "%s %q\n", u.pkg, modulePath+"/"+u.pkg)
	}
	b.WriteString(")\n\n")
	b.WriteString("// units maps each unit's name to its input dtypes and kinds and its\n// loader.\nvar units = map[string]unit{\n")
	for _, u := range units {
		var in, kinds []string
		for i, d := range u.inTypes {
			in = append(in, fmt.Sprintf("%q", inDescr(d).descr))
			kinds = append(kinds, fmt.Sprintf("%q", u.inKinds[i]))
		}
		fmt.Fprintf(&b, "%q: {in: []string{%s}, kinds: []string{%s}, load: load_%s},\n", u.name, strings.Join(in, ", "), strings.Join(kinds, ", "), u.pkg)
	}
	b.WriteString("}\n\n")
	for _, u := range units {
		fmt.Fprintf(&b, "// load_%[1]s loads unit %[2]q and returns its run function.\nfunc load_%[1]s() (runFunc, error) {\nm, err := %[1]s.Load()\nif err != nil {\nreturn nil, err\n}\ns := m.NewSession()\nreturn func(in []value) ([]value, error) {\nvar x %[1]s.Inputs\n", u.pkg, u.name)
		for i, io := range u.manifest.Inputs {
			f := inDescr(u.inTypes[i]).field
			item := func(src string) string {
				return fmt.Sprintf("%s.Tensor{Shape: %s.shape, %s: decode[%s](%s)}", u.pkg, src, f, goElemOf[f], src)
			}
			switch u.inKinds[i] {
			case "seq":
				fmt.Fprintf(&b, "for _, t := range in[%d].seq {\nx.%s = append(x.%s, %s)\n}\n", i, io.GoName, io.GoName, item("t"))
			case "opt":
				fmt.Fprintf(&b, "if !in[%d].none {\nx.%s = %s.Optional{Present: true, Tensor: %s}\n}\n", i, io.GoName, u.pkg, item(fmt.Sprintf("in[%d].t", i)))
			case "optseq":
				fmt.Fprintf(&b, "if !in[%d].none {\nx.%s.Present = true\nfor _, t := range in[%d].seq {\nx.%s.Sequence = append(x.%s.Sequence, %s)\n}\n}\n", i, io.GoName, i, io.GoName, io.GoName, item("t"))
			default:
				if isStringIO(u.inTypes[i]) {
					fmt.Fprintf(&b, "x.%s = %s.Tensor{Shape: in[%d].t.shape, Str: in[%d].t.strs}\n", io.GoName, u.pkg, i, i)
					continue
				}
				fmt.Fprintf(&b, "x.%s = %s\n", io.GoName, item(fmt.Sprintf("in[%d].t", i)))
			}
		}
		fmt.Fprintf(&b, "out, err := s.Run(x)\nif err != nil {\nreturn nil, err\n}\nres := make([]value, %d)\n", len(u.manifest.Outputs))
		for i, io := range u.manifest.Outputs {
			if isStringIO(u.outTypes[i]) {
				fmt.Fprintf(&b, "res[%d].t = stringTensor(out.%s.Shape, out.%s.Str)\n", i, io.GoName, io.GoName)
				continue
			}
			d := npyDescr[u.outTypes[i]]
			item := func(src string) string {
				return fmt.Sprintf("tensor{descr: %q, shape: %s.Shape, data: encode(%s.%s)}", d.descr, src, src, d.field)
			}
			o := "out." + io.GoName
			switch u.outKinds[i] {
			case "seq":
				fmt.Fprintf(&b, "res[%d].isSeq = true\nfor _, t := range %s {\nres[%d].seq = append(res[%d].seq, %s)\n}\n", i, o, i, i, item("t"))
			case "opt":
				fmt.Fprintf(&b, "if %s.Present {\nres[%d].t = %s\n} else {\nres[%d].none = true\n}\n", o, i, item(o+".Tensor"), i)
			case "optseq":
				fmt.Fprintf(&b, "if %s.Present {\nres[%d].isSeq = true\nfor _, t := range %s.Sequence {\nres[%d].seq = append(res[%d].seq, %s)\n}\n} else {\nres[%d].none = true\n}\n", o, i, o, i, i, item("t"), i)
			default:
				fmt.Fprintf(&b, "res[%d].t = %s\n", i, item(o))
			}
		}
		b.WriteString("return res, nil\n}, nil\n}\n\n")
	}
	b.WriteString(mainBody)
	b.WriteString(mainStrings)
	src, err := format.Source([]byte(b.String()))
	if err != nil {
		return nil, fmt.Errorf("generated main package does not parse (a bug in kiln): %w", err)
	}
	return src, nil
}

const mainHeader = `// Code generated by kiln for its compiled engine. DO NOT EDIT.

// Command kiln-compiled runs kiln-compiled models on .npy inputs:
//
//	kiln-compiled run UNIT INDIR OUTDIR
//	kiln-compiled bench UNIT INDIR WARMUP N
//
// run reads INDIR/0.npy, INDIR/1.npy, ... (the unit's inputs in order),
// runs the unit once and writes OUTDIR/0.npy, ... . bench runs it WARMUP
// times, then N timed times, and prints {"run_ns": [...]} as JSON.
package main

`

const mainBody = `// tensor is a tensor as .npy files hold it: its little-endian bytes.
type tensor struct {
	descr string
	shape []int
	data  []byte
	strs  []string // a string tensor's elements (readStrings)
}

// decode returns t's elements as a slice of T (a fixed-size type whose
// size matches t's dtype: readNPY checked the byte count).
func decode[T any](t tensor) []T {
	var zero T
	out := make([]T, len(t.data)/binary.Size(zero))
	if err := binary.Read(bytes.NewReader(t.data), binary.LittleEndian, out); err != nil {
		panic(err) // the length fits by construction
	}
	return out
}

// encode returns the little-endian bytes of s.
func encode[T any](s []T) []byte {
	var b bytes.Buffer
	if err := binary.Write(&b, binary.LittleEndian, s); err != nil {
		panic(err) // a slice of a fixed-size type always encodes
	}
	return b.Bytes()
}

// value is one input or output: a tensor, a sequence of tensors (isSeq),
// or an empty optional (none). A present optional is its value.
type value struct {
	t     tensor
	seq   []tensor
	isSeq bool
	none  bool
}

// runFunc runs one unit on its inputs in order.
type runFunc func(in []value) ([]value, error)

// unit is one compiled model: its inputs' .npy dtypes (of the tensors
// inside, for sequences and optionals), their kinds ("tensor", "seq",
// "opt", "optseq") and its loader.
type unit struct {
	in    []string
	kinds []string
	load  func() (runFunc, error)
}

// readValue reads the input of the given kind stored at base: base.npy
// for a tensor, the folder base.seq holding 0.npy, 1.npy, ... for a
// sequence, base.none (an empty file) for an empty optional.
func readValue(base, kind, descr string) (value, error) {
	var v value
	if kind == "opt" || kind == "optseq" {
		if _, err := os.Stat(base + ".none"); err == nil {
			v.none = true
			return v, nil
		}
	}
	read := func(path string) (tensor, error) {
		t, err := readNPY(path)
		if err == nil && t.descr != descr && !(descr == "str" && t.strs != nil) {
			err = fmt.Errorf("%s: dtype %s, want %s", path, t.descr, descr)
		}
		return t, err
	}
	if kind == "seq" || kind == "optseq" {
		v.isSeq = true
		if _, err := os.Stat(base + ".seq"); err != nil {
			return v, err
		}
		for k := 0; ; k++ {
			p := filepath.Join(base+".seq", strconv.Itoa(k)+".npy")
			if _, err := os.Stat(p); err != nil {
				return v, nil
			}
			t, err := read(p)
			if err != nil {
				return v, err
			}
			v.seq = append(v.seq, t)
		}
	}
	t, err := read(base + ".npy")
	v.t = t
	return v, err
}

// writeValue writes an output as readValue reads an input.
func writeValue(base string, v value) error {
	switch {
	case v.none:
		return os.WriteFile(base+".none", nil, 0o666)
	case v.isSeq:
		if err := os.Mkdir(base+".seq", 0o777); err != nil {
			return err
		}
		for k, t := range v.seq {
			if err := writeNPY(filepath.Join(base+".seq", strconv.Itoa(k)+".npy"), t); err != nil {
				return err
			}
		}
		return nil
	}
	return writeNPY(base+".npy", v.t)
}

func main() {
	if err := mainErr(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func mainErr(args []string) error {
	if len(args) < 3 {
		return fmt.Errorf("usage: kiln-compiled run UNIT INDIR OUTDIR | bench UNIT INDIR WARMUP N")
	}
	u, ok := units[args[1]]
	if !ok {
		return fmt.Errorf("no unit %q in this program", args[1])
	}
	in := make([]value, len(u.in))
	for i, descr := range u.in {
		v, err := readValue(filepath.Join(args[2], strconv.Itoa(i)), u.kinds[i], descr)
		if err != nil {
			return fmt.Errorf("input %d: %w", i, err)
		}
		in[i] = v
	}
	run, err := u.load()
	if err != nil {
		return fmt.Errorf("loading the model: %w", err)
	}
	switch {
	case args[0] == "run" && len(args) == 4:
		out, err := run(in)
		if err != nil {
			return err
		}
		for i, v := range out {
			if err := writeValue(filepath.Join(args[3], strconv.Itoa(i)), v); err != nil {
				return err
			}
		}
		return nil
	case args[0] == "bench" && len(args) == 5:
		warmup, err1 := strconv.Atoi(args[3])
		n, err2 := strconv.Atoi(args[4])
		if err1 != nil || err2 != nil || warmup < 0 || n < 1 {
			return fmt.Errorf("bench: WARMUP and N must be counts, N at least 1")
		}
		for i := 0; i < warmup; i++ {
			if _, err := run(in); err != nil {
				return err
			}
		}
		ns := make([]int64, n)
		for i := range ns {
			start := time.Now()
			if _, err := run(in); err != nil {
				return err
			}
			ns[i] = time.Since(start).Nanoseconds()
		}
		return json.NewEncoder(os.Stdout).Encode(map[string]any{"run_ns": ns, "peak_rss_bytes": peakRSS()})
	}
	return fmt.Errorf("usage: kiln-compiled run UNIT INDIR OUTDIR | bench UNIT INDIR WARMUP N")
}

// peakRSS is this process's peak resident set size in bytes (VmHWM in
// /proc/self/status), or 0 where that file does not exist.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			f := strings.Fields(v)
			if len(f) == 2 && f[1] == "kB" {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n << 10
			}
		}
	}
	return 0
}

// readNPY reads a little-endian, C-order .npy file of numbers or bools.
func readNPY(path string) (tensor, error) {
	var t tensor
	b, err := os.ReadFile(path)
	if err != nil {
		return t, err
	}
	if len(b) < 10 || string(b[:6]) != "\x93NUMPY" {
		return t, fmt.Errorf("%s: not a .npy file", path)
	}
	hlen, off := int(binary.LittleEndian.Uint16(b[8:10])), 10
	if b[6] >= 2 {
		if len(b) < 12 {
			return t, fmt.Errorf("%s: truncated header", path)
		}
		hlen, off = int(binary.LittleEndian.Uint32(b[8:12])), 12
	}
	if hlen < 0 || off+hlen > len(b) {
		return t, fmt.Errorf("%s: truncated header", path)
	}
	h := string(b[off : off+hlen])
	data := b[off+hlen:]
	t.descr = headerField(h, "descr")
	t.descr = strings.Trim(t.descr, "'\"")
	if strings.Contains(h, "'fortran_order': True") {
		return t, fmt.Errorf("%s: Fortran order is not read", path)
	}
	shape := headerField(h, "shape")
	shape = strings.Trim(shape, "() ")
	n := 1
	t.shape = []int{}
	for _, s := range strings.Split(shape, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		d, err := strconv.Atoi(s)
		if err != nil || d < 0 {
			return t, fmt.Errorf("%s: bad shape %q", path, shape)
		}
		t.shape = append(t.shape, d)
		n *= d
	}
	if len(t.descr) > 2 && (t.descr[1] == 'U' || t.descr[1] == 'S') {
		return readStrings(path, t, data, n)
	}
	size, err := strconv.Atoi(t.descr[min(2, len(t.descr)):])
	if err != nil || size < 1 || len(t.descr) < 3 || !strings.Contains("fiub", t.descr[1:2]) {
		return t, fmt.Errorf("%s: dtype %q is not a number or bool", path, t.descr)
	}
	if len(data) != size*n {
		return t, fmt.Errorf("%s: %d data bytes for %d values of %s", path, len(data), n, t.descr)
	}
	t.data = data
	return t, nil
}

// headerField returns the text of key's value in a .npy header dict.
func headerField(h, key string) string {
	i := strings.Index(h, "'"+key+"':")
	if i < 0 {
		return ""
	}
	v := strings.TrimSpace(h[i+len(key)+3:])
	if strings.HasPrefix(v, "(") {
		if j := strings.Index(v, ")"); j >= 0 {
			return v[:j+1]
		}
	}
	if j := strings.IndexAny(v, ",}"); j >= 0 {
		return strings.TrimSpace(v[:j])
	}
	return v
}

// writeNPY writes t as a version 1.0 .npy file.
func writeNPY(path string, t tensor) error {
	dims := make([]string, len(t.shape))
	for i, d := range t.shape {
		dims[i] = strconv.Itoa(d)
	}
	shape := "(" + strings.Join(dims, ", ") + ")"
	if len(dims) == 1 {
		shape = "(" + dims[0] + ",)"
	}
	h := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", t.descr, shape)
	pad := 64 - (10+len(h)+1)%64
	if pad == 64 {
		pad = 0
	}
	h += strings.Repeat(" ", pad) + "\n"
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	w.WriteString("\x93NUMPY\x01\x00")
	binary.Write(w, binary.LittleEndian, uint16(len(h)))
	w.WriteString(h)
	w.Write(t.data)
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
`
