package tensor

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kiln-ml/kiln/ir"
)

// NumPy .npy files (format versions 1.0, 2.0 and 3.0): the magic
// "\x93NUMPY", two version bytes, the header length (uint16 in 1.0, uint32
// in 2.0 and 3.0, little-endian), then a Python dict literal with keys
// descr, fortran_order and shape, padded with spaces and a newline, then the
// raw elements. 3.0 differs from 2.0 only in that the header is UTF-8.

const npyMagic = "\x93NUMPY"

// maxNPYHeader bounds the header a reader accepts; numpy itself refuses
// headers over 10000 bytes unless told otherwise.
const maxNPYHeader = 1 << 20

// npyDType describes one element type as numpy spells it.
type npyDType struct {
	kind byte // f i u b c U S
	size int  // bytes per element
}

var npyKinds = map[npyDType]ir.DType{
	{'f', 2}: ir.F16, {'f', 4}: ir.F32, {'f', 8}: ir.F64,
	{'i', 1}: ir.I8, {'i', 2}: ir.I16, {'i', 4}: ir.I32, {'i', 8}: ir.I64,
	{'u', 1}: ir.U8, {'u', 2}: ir.U16, {'u', 4}: ir.U32, {'u', 8}: ir.U64,
	{'b', 1}: ir.Bool, {'c', 8}: ir.C64, {'c', 16}: ir.C128,
}

// ReadNPYFile reads a .npy file. Unlike ReadNPY it also checks that the
// file holds no bytes beyond the array.
func ReadNPYFile(path string) (*Tensor, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	t, err := ReadNPY(br)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if n, _ := io.Copy(io.Discard, br); n > 0 {
		return nil, fmt.Errorf("%s: %d bytes after the array's data (header shape too small?)", path, n)
	}
	return t, nil
}

// ReadNPY reads one array in NumPy .npy format from r. Numeric dtypes may
// be of either byte order; '<U' (UTF-32) and '|S' (bytes) arrays become
// string tensors with trailing NULs removed, as numpy does. Fortran-ordered
// arrays are refused.
func ReadNPY(r io.Reader) (*Tensor, error) {
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return nil, fmt.Errorf("npy: reading magic: %w", noEOF(err))
	}
	if string(pre[:6]) != npyMagic {
		return nil, fmt.Errorf("npy: not a .npy file (bad magic %q)", pre[:6])
	}
	major, minor := pre[6], pre[7]
	var hlen int
	switch major {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, fmt.Errorf("npy: reading header length: %w", noEOF(err))
		}
		hlen = int(binary.LittleEndian.Uint16(b[:]))
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, fmt.Errorf("npy: reading header length: %w", noEOF(err))
		}
		n := binary.LittleEndian.Uint32(b[:])
		if n > maxNPYHeader {
			return nil, fmt.Errorf("npy: header of %d bytes is too large", n)
		}
		hlen = int(n)
	default:
		return nil, fmt.Errorf("npy: unsupported format version %d.%d", major, minor)
	}
	hb := make([]byte, hlen)
	if _, err := io.ReadFull(r, hb); err != nil {
		return nil, fmt.Errorf("npy: header of %d bytes is truncated: %w", hlen, noEOF(err))
	}
	if major < 3 {
		// Versions 1 and 2 store the header in latin-1.
		var s strings.Builder
		for _, c := range hb {
			s.WriteRune(rune(c))
		}
		hb = []byte(s.String())
	} else if !utf8.Valid(hb) {
		return nil, fmt.Errorf("npy: header is not UTF-8")
	}
	h, err := parseNPYHeader(string(hb))
	if err != nil {
		return nil, fmt.Errorf("npy: header %q: %w", strings.TrimSpace(string(hb)), err)
	}
	return readNPYData(r, h)
}

func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// npyHeader is the decoded header dict.
type npyHeader struct {
	dtype     npyDType
	bigEndian bool
	shape     []int
	count     int // number of elements
}

func parseNPYHeader(s string) (*npyHeader, error) {
	p := &pyLit{s: s}
	d, err := p.dict()
	if err != nil {
		return nil, err
	}
	if p.skipSpace(); p.i != len(p.s) {
		return nil, fmt.Errorf("unexpected %q after the dict", p.s[p.i:])
	}
	for k := range d {
		if k != "descr" && k != "fortran_order" && k != "shape" {
			return nil, fmt.Errorf("unexpected key %q", k)
		}
	}
	descr, ok := d["descr"].(string)
	if !ok {
		return nil, fmt.Errorf("descr is missing or not a string (structured dtypes are not supported)")
	}
	fo, ok := d["fortran_order"].(bool)
	if !ok {
		return nil, fmt.Errorf("fortran_order is missing or not a bool")
	}
	if fo {
		return nil, fmt.Errorf("fortran_order True is not supported (C order only)")
	}
	shp, ok := d["shape"].([]int64)
	if !ok {
		return nil, fmt.Errorf("shape is missing or not a tuple of ints")
	}
	h := &npyHeader{}
	if len(descr) < 3 {
		return nil, fmt.Errorf("bad descr %q", descr)
	}
	switch descr[0] {
	case '<', '|', '=': // '=' is native order; numpy writers normalize it away
	case '>':
		h.bigEndian = true
	default:
		return nil, fmt.Errorf("bad byte order in descr %q", descr)
	}
	size, err := strconv.Atoi(descr[2:])
	if err != nil || size < 0 || size > 1<<20 {
		return nil, fmt.Errorf("bad item size in descr %q", descr)
	}
	h.dtype = npyDType{descr[1], size}
	switch h.dtype.kind {
	case 'U':
		if h.dtype.size == 0 {
			return nil, fmt.Errorf("zero-width string dtype %q", descr)
		}
		h.dtype.size *= 4 // UTF-32 code units
	case 'S':
		if h.dtype.size == 0 {
			return nil, fmt.Errorf("zero-width string dtype %q", descr)
		}
	default:
		if _, ok := npyKinds[h.dtype]; !ok {
			return nil, fmt.Errorf("unsupported dtype %q", descr)
		}
	}
	h.count = 1
	for _, n := range shp {
		if n < 0 {
			return nil, fmt.Errorf("negative dim %d in shape %v", n, shp)
		}
		if n > math.MaxInt32*int64(1<<16) {
			return nil, fmt.Errorf("dim %d too large", n)
		}
		h.shape = append(h.shape, int(n))
	}
	for _, n := range h.shape {
		if n == 0 {
			h.count = 0
			break
		}
		if h.count > (1<<46)/n {
			return nil, fmt.Errorf("shape %v has too many elements", shp)
		}
		h.count *= n
	}
	if int64(h.count)*int64(h.dtype.size) > 1<<46 {
		return nil, fmt.Errorf("shape %v of %s is too large", shp, descr)
	}
	return h, nil
}

// readNPYData reads the elements. The byte count is checked against what
// the reader actually delivers before the tensor is allocated, so a header
// declaring a huge shape costs no more memory than the data present.
func readNPYData(r io.Reader, h *npyHeader) (*Tensor, error) {
	size := int64(h.count) * int64(h.dtype.size)
	var b []byte
	if size <= 1<<24 {
		b = make([]byte, size)
		if n, err := io.ReadFull(r, b); err != nil {
			return nil, fmt.Errorf("npy: data truncated: %d of %d bytes for shape %v: %w", n, size, h.shape, noEOF(err))
		}
	} else {
		var buf bytes.Buffer
		n, err := buf.ReadFrom(io.LimitReader(r, size))
		if err != nil {
			return nil, fmt.Errorf("npy: reading data: %w", err)
		}
		if n != size {
			return nil, fmt.Errorf("npy: data truncated: %d of %d bytes for shape %v", n, size, h.shape)
		}
		b = buf.Bytes()
	}
	switch h.dtype.kind {
	case 'U', 'S':
		return npyStrings(b, h)
	}
	d := npyKinds[h.dtype]
	if h.bigEndian && h.dtype.size > 1 {
		swapBytes(b, d)
	}
	t, err := DecodeBytes(d, h.shape, b)
	if err != nil {
		return nil, fmt.Errorf("npy: %w", err)
	}
	return t, nil
}

// swapBytes turns big-endian elements into little-endian in place; complex
// numbers swap each of their two parts.
func swapBytes(b []byte, d ir.DType) {
	w := d.Size()
	if d == ir.C64 || d == ir.C128 {
		w /= 2
	}
	for i := 0; i+w <= len(b); i += w {
		for j, k := i, i+w-1; j < k; j, k = j+1, k-1 {
			b[j], b[k] = b[k], b[j]
		}
	}
}

func npyStrings(b []byte, h *npyHeader) (*Tensor, error) {
	out := make([]string, h.count)
	w := h.dtype.size
	for i := range out {
		e := b[i*w : (i+1)*w]
		if h.dtype.kind == 'S' {
			out[i] = string(bytes.TrimRight(e, "\x00"))
			continue
		}
		var s strings.Builder
		for j := 0; j < len(e); j += 4 {
			var c uint32
			if h.bigEndian {
				c = binary.BigEndian.Uint32(e[j:])
			} else {
				c = binary.LittleEndian.Uint32(e[j:])
			}
			if c > utf8.MaxRune || (c >= 0xd800 && c < 0xe000) {
				return nil, fmt.Errorf("npy: element %d: invalid code point %#x", i, c)
			}
			s.WriteRune(rune(c))
		}
		out[i] = strings.TrimRight(s.String(), "\x00")
	}
	return FromSlice(h.shape, out), nil
}

// WriteNPYFile writes t to path in .npy format.
func WriteNPYFile(path string, t *Tensor) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	if err := WriteNPY(w, t); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// WriteNPY writes t in .npy format the way numpy.save does: little-endian
// data, a header padded to a multiple of 64 bytes (including numpy's spare
// room for growing the first axis), format 1.0 unless the header needs 2.0.
// String tensors are written as '<U' with the longest element's width, or
// as '|S' bytes when some element is not valid UTF-8.
// bfloat16 has no numpy dtype and is refused.
func WriteNPY(w io.Writer, t *Tensor) error {
	if err := t.Check(); err != nil {
		return fmt.Errorf("npy: %w", err)
	}
	descr, width, asBytes := "", 0, false
	if t.DType == ir.String {
		for _, s := range Data[string](t) {
			asBytes = asBytes || !utf8.ValidString(s)
		}
		for _, s := range Data[string](t) {
			if asBytes {
				width = max(width, len(s))
			} else {
				width = max(width, utf8.RuneCountInString(s))
			}
		}
		width = max(width, 1)
		descr = fmt.Sprintf("<U%d", width)
		if asBytes {
			descr = fmt.Sprintf("|S%d", width)
		}
	} else {
		for k, d := range npyKinds {
			if d == t.DType {
				order := "<"
				if k.size == 1 {
					order = "|"
				}
				descr = fmt.Sprintf("%s%c%d", order, k.kind, k.size)
			}
		}
		if descr == "" {
			return fmt.Errorf("npy: %v has no NumPy dtype", t.DType)
		}
	}
	var shape strings.Builder
	shape.WriteByte('(')
	for i, d := range t.Shape {
		if i > 0 {
			shape.WriteString(", ")
		}
		shape.WriteString(strconv.Itoa(d))
	}
	if len(t.Shape) == 1 {
		shape.WriteByte(',')
	}
	shape.WriteByte(')')
	header := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shape.String())
	if len(t.Shape) > 0 {
		// numpy leaves room for the first dim to grow to 21 digits.
		header += strings.Repeat(" ", max(0, 21-len(strconv.Itoa(t.Shape[0]))))
	}
	var out []byte
	for _, v := range []int{1, 2} {
		pre := 10
		if v == 2 {
			pre = 12
		}
		hlen := len(header) + 1
		pad := 64 - (pre+hlen)%64
		if pad == 64 {
			pad = 0
		}
		if v == 1 && hlen+pad > math.MaxUint16 {
			continue
		}
		out = append([]byte(npyMagic), byte(v), 0)
		if v == 1 {
			out = binary.LittleEndian.AppendUint16(out, uint16(hlen+pad))
		} else {
			out = binary.LittleEndian.AppendUint32(out, uint32(hlen+pad))
		}
		out = append(out, header...)
		out = append(out, bytes.Repeat([]byte{' '}, pad)...)
		out = append(out, '\n')
		break
	}
	if _, err := w.Write(out); err != nil {
		return err
	}
	if t.DType == ir.String && asBytes {
		b := make([]byte, width)
		for _, s := range Data[string](t) {
			clear(b)
			copy(b, s)
			if _, err := w.Write(b); err != nil {
				return err
			}
		}
		return nil
	}
	if t.DType == ir.String {
		b := make([]byte, 4*width)
		for _, s := range Data[string](t) {
			clear(b)
			j := 0
			for _, c := range s {
				binary.LittleEndian.PutUint32(b[j:], uint32(c))
				j += 4
			}
			if _, err := w.Write(b); err != nil {
				return err
			}
		}
		return nil
	}
	b, err := EncodeBytes(t)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// pyLit parses the Python literal subset .npy headers use: a dict with
// string keys whose values are strings, True/False, ints or tuples of ints.
type pyLit struct {
	s string
	i int
}

var errPyLit = errors.New("malformed header literal")

func (p *pyLit) skipSpace() {
	for p.i < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.i]) >= 0 {
		p.i++
	}
}

func (p *pyLit) eat(c byte) bool {
	p.skipSpace()
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *pyLit) dict() (map[string]any, error) {
	if !p.eat('{') {
		return nil, fmt.Errorf("%w: want '{'", errPyLit)
	}
	d := map[string]any{}
	for {
		if p.eat('}') {
			return d, nil
		}
		k, err := p.str()
		if err != nil {
			return nil, err
		}
		if !p.eat(':') {
			return nil, fmt.Errorf("%w: want ':' after %q", errPyLit, k)
		}
		v, err := p.value()
		if err != nil {
			return nil, fmt.Errorf("%q: %w", k, err)
		}
		if _, dup := d[k]; dup {
			return nil, fmt.Errorf("duplicate key %q", k)
		}
		d[k] = v
		if !p.eat(',') {
			if p.eat('}') {
				return d, nil
			}
			return nil, fmt.Errorf("%w: want ',' or '}'", errPyLit)
		}
	}
}

func (p *pyLit) str() (string, error) {
	p.skipSpace()
	if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
		return "", fmt.Errorf("%w: want a string", errPyLit)
	}
	q := p.s[p.i]
	j := strings.IndexByte(p.s[p.i+1:], q)
	if j < 0 {
		return "", fmt.Errorf("%w: unterminated string", errPyLit)
	}
	v := p.s[p.i+1 : p.i+1+j]
	if strings.IndexByte(v, '\\') >= 0 {
		return "", fmt.Errorf("%w: escapes in strings are not supported", errPyLit)
	}
	p.i += j + 2
	return v, nil
}

func (p *pyLit) value() (any, error) {
	p.skipSpace()
	if p.i >= len(p.s) {
		return nil, fmt.Errorf("%w: missing value", errPyLit)
	}
	switch c := p.s[p.i]; {
	case c == '\'' || c == '"':
		return p.str()
	case strings.HasPrefix(p.s[p.i:], "True"):
		p.i += 4
		return true, nil
	case strings.HasPrefix(p.s[p.i:], "False"):
		p.i += 5
		return false, nil
	case c == '(':
		p.i++
		var out []int64
		for {
			if p.eat(')') {
				return append([]int64{}, out...), nil
			}
			n, err := p.int()
			if err != nil {
				return nil, err
			}
			out = append(out, n)
			if len(out) > 64 {
				return nil, fmt.Errorf("shape of more than 64 dims")
			}
			if !p.eat(',') {
				if p.eat(')') {
					return out, nil
				}
				return nil, fmt.Errorf("%w: want ',' or ')' in tuple", errPyLit)
			}
		}
	case c == '-' || (c >= '0' && c <= '9'):
		return p.int()
	}
	return nil, fmt.Errorf("%w: unexpected %q", errPyLit, p.s[p.i:min(len(p.s), p.i+10)])
}

func (p *pyLit) int() (int64, error) {
	p.skipSpace()
	j := p.i
	if j < len(p.s) && p.s[j] == '-' {
		j++
	}
	for j < len(p.s) && p.s[j] >= '0' && p.s[j] <= '9' {
		j++
	}
	n, err := strconv.ParseInt(p.s[p.i:j], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: bad integer %q", errPyLit, p.s[p.i:j])
	}
	p.i = j
	if p.i < len(p.s) && p.s[p.i] == 'L' { // Python 2 long suffix
		p.i++
	}
	return n, nil
}
