package gguf

import (
	"encoding/binary"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/kiln-ml/kiln/ir/quant"
)

// Limits on what a GGUF file may hold. They bound the memory a hostile
// header can make the reader allocate, on top of every count being
// checked against the bytes left in the file.
const (
	// MaxStringBytes caps a metadata string (16 MiB).
	MaxStringBytes = 16 << 20
	// MaxArrayLen caps an array's element count (64 Mi).
	MaxArrayLen = 64 << 20
	// MaxArrayDepth caps the nesting of arrays of arrays: an array at
	// the top level has depth 1.
	MaxArrayDepth = 8
	// MaxKeyBytes caps a metadata key, as the GGUF format does.
	MaxKeyBytes = 65535
	// MaxNameBytes caps a tensor name: ggml keeps names in 64-byte
	// fields with a terminating NUL.
	MaxNameBytes = 63
	// MaxDims is the most dims a tensor may have (ggml's GGML_MAX_DIMS).
	MaxDims = 4
	// DefaultAlignment is the data alignment of a file without
	// general.alignment.
	DefaultAlignment = 32
)

// magic is the four bytes a GGUF file starts with.
const magic = "GGUF"

// headerBytes is the size of the fixed header: magic, version, tensor
// count and key/value count.
const headerBytes = 24

// The least bytes a metadata entry (key length, one-byte key, value type,
// one-byte value) and a tensor info (name length, one-byte name, dims
// count, type, offset) take: counts are checked against them.
const (
	minKVBytes     = 8 + 1 + 4 + 1
	minTensorBytes = 8 + 1 + 4 + 4 + 8
)

// reader reads little-endian fields from b, tracking the offset for
// errors.
type reader struct {
	b   []byte
	off int64
}

// left returns the bytes not yet read.
func (r *reader) left() int64 { return int64(len(r.b)) - r.off }

// take returns the next n bytes, or an error naming field when the file
// ends first.
func (r *reader) take(n int64, field string) ([]byte, error) {
	if n < 0 || n > r.left() {
		return nil, errAt(r.off, "%s: %d bytes needed, the file ends %d bytes later", field, n, r.left())
	}
	s := r.b[r.off : r.off+n]
	r.off += n
	return s, nil
}

func (r *reader) u32(field string) (uint32, error) {
	s, err := r.take(4, field)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(s), nil
}

func (r *reader) u64(field string) (uint64, error) {
	s, err := r.take(8, field)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(s), nil
}

// str reads a length-prefixed string of at most max bytes.
func (r *reader) str(field string, max int64) (string, error) {
	at := r.off
	n, err := r.u64(field + " length")
	if err != nil {
		return "", err
	}
	if n > uint64(max) {
		return "", errAt(at, "%s: length %d exceeds the limit of %d bytes", field, n, max)
	}
	s, err := r.take(int64(n), field)
	if err != nil {
		return "", err
	}
	return string(s), nil
}

// parse reads the header of the GGUF file held in data and checks the
// tensor table against the file's size.
func parse(data []byte) (*File, error) {
	r := &reader{b: data}
	if len(data) < headerBytes {
		return nil, errAt(0, "header: file of %d bytes is shorter than the %d-byte GGUF header", len(data), headerBytes)
	}
	if string(data[:4]) != magic {
		return nil, errAt(0, "magic: %s, want \"GGUF\": not a GGUF file", strconv.Quote(string(data[:4])))
	}
	r.off = 4
	version, _ := r.u32("version")
	switch {
	case version == 2 || version == 3:
	case version == 1:
		return nil, errAt(4, "version 1 is not supported (its counts are 32-bit); convert the model again to version 2 or 3")
	case version != 0 && version&0xffff == 0:
		return nil, errAt(4, "version field 0x%08x: a big-endian GGUF file, which kiln does not read", version)
	default:
		return nil, errAt(4, "version %d is not supported (2 and 3 are)", version)
	}
	nTensors, _ := r.u64("tensor count")
	nKV, _ := r.u64("metadata count")
	rest := r.left()
	if nKV > uint64(rest/minKVBytes) {
		return nil, errAt(16, "metadata count %d: the %d bytes after the header hold at most %d entries", nKV, rest, rest/minKVBytes)
	}
	rest -= int64(nKV) * minKVBytes
	if nTensors > uint64(rest/minTensorBytes) {
		return nil, errAt(8, "tensor count %d: the %d bytes after the header hold at most %d tensor infos besides %d metadata entries", nTensors, r.left(), rest/minTensorBytes, nKV)
	}

	f := &File{
		Version:   version,
		Alignment: DefaultAlignment,
		Size:      int64(len(data)),
		KV:        make([]KV, 0, nKV),
		Tensors:   make([]TensorInfo, 0, nTensors),
		keys:      make(map[string]int, nKV),
		tensors:   make(map[string]int, nTensors),
		data:      data,
	}
	for i := range int(nKV) {
		if err := f.readKV(r, i); err != nil {
			return nil, err
		}
	}
	if err := f.readAlignment(); err != nil {
		return nil, err
	}
	for i := range int(nTensors) {
		if err := f.readTensorInfo(r, i); err != nil {
			return nil, err
		}
	}
	// The data section starts at the end of the header rounded up to the
	// alignment (at most 2^31, so this cannot overflow).
	f.DataOffset = (r.off + f.Alignment - 1) / f.Alignment * f.Alignment
	if err := f.checkLayout(); err != nil {
		return nil, err
	}
	return f, nil
}

// readKV reads metadata entry i.
func (f *File) readKV(r *reader, i int) error {
	at := r.off
	field := "key " + strconv.Itoa(i)
	key, err := r.str(field, MaxKeyBytes)
	if err != nil {
		return err
	}
	if key == "" {
		return errAt(at, "%s: empty key", field)
	}
	if !utf8.ValidString(key) {
		return errAt(at, "%s %q: key is not valid UTF-8", field, key)
	}
	field += " " + strconv.Quote(key)
	if j, dup := f.keys[key]; dup {
		return errAt(at, "%s: duplicate key (also key %d at offset 0x%x)", field, j, f.KV[j].Offset)
	}
	tat := r.off
	t, err := r.u32(field + ": value type")
	if err != nil {
		return err
	}
	if !ValueType(t).valid() {
		return errAt(tat, "%s: unknown value type %d", field, t)
	}
	v, err := readValue(r, ValueType(t), field, 0)
	if err != nil {
		return err
	}
	f.keys[key] = len(f.KV)
	f.KV = append(f.KV, KV{Key: key, Value: v, Offset: at})
	return nil
}

// readValue reads one value of type t; depth counts the arrays it is
// nested in.
func readValue(r *reader, t ValueType, field string, depth int) (Value, error) {
	at := r.off
	switch t {
	case TypeString:
		s, err := r.str(field, MaxStringBytes)
		return Value{t, s}, err
	case TypeArray:
		return readArray(r, field, depth+1)
	case TypeBool:
		s, err := r.take(1, field)
		if err != nil {
			return Value{}, err
		}
		if s[0] > 1 {
			return Value{}, errAt(at, "%s: bool byte %d is neither 0 nor 1", field, s[0])
		}
		return Value{t, s[0] == 1}, nil
	}
	s, err := r.take(t.size(), field)
	if err != nil {
		return Value{}, err
	}
	var x any
	switch t {
	case TypeUint8:
		x = s[0]
	case TypeInt8:
		x = int8(s[0])
	case TypeUint16:
		x = binary.LittleEndian.Uint16(s)
	case TypeInt16:
		x = int16(binary.LittleEndian.Uint16(s))
	case TypeUint32:
		x = binary.LittleEndian.Uint32(s)
	case TypeInt32:
		x = int32(binary.LittleEndian.Uint32(s))
	case TypeFloat32:
		x = math.Float32frombits(binary.LittleEndian.Uint32(s))
	case TypeUint64:
		x = binary.LittleEndian.Uint64(s)
	case TypeInt64:
		x = int64(binary.LittleEndian.Uint64(s))
	case TypeFloat64:
		x = math.Float64frombits(binary.LittleEndian.Uint64(s))
	}
	return Value{t, x}, nil
}

// readArray reads an array's element type, count and elements; depth is
// its own nesting depth (1 at the top level).
func readArray(r *reader, field string, depth int) (Value, error) {
	at := r.off
	if depth > MaxArrayDepth {
		return Value{}, errAt(at, "%s: arrays nested deeper than %d", field, MaxArrayDepth)
	}
	et, err := r.u32(field + ": array element type")
	if err != nil {
		return Value{}, err
	}
	elem := ValueType(et)
	if !elem.valid() {
		return Value{}, errAt(at, "%s: unknown array element type %d", field, et)
	}
	nat := r.off
	n, err := r.u64(field + ": array length")
	if err != nil {
		return Value{}, err
	}
	if n > MaxArrayLen {
		return Value{}, errAt(nat, "%s: array of %d %s exceeds the limit of %d elements", field, n, elem, MaxArrayLen)
	}
	if n > uint64(r.left()/elem.size()) {
		return Value{}, errAt(nat, "%s: array of %d %s cannot fit in the %d bytes left", field, n, elem, r.left())
	}
	a := &array{elem: elem, n: int(n)}
	v := Value{TypeArray, a}
	elemField := func(i int) string { return field + "[" + strconv.Itoa(i) + "]" }
	switch elem {
	case TypeString:
		strs := make([]string, n)
		for i := range strs {
			if strs[i], err = r.str(elemField(i), MaxStringBytes); err != nil {
				return Value{}, err
			}
		}
		a.data = strs
		return v, nil
	case TypeBool, TypeArray:
		vals := make([]Value, n)
		for i := range vals {
			if vals[i], err = readValue(r, elem, elemField(i), depth); err != nil {
				return Value{}, err
			}
		}
		if elem == TypeBool {
			a.data = fill(len(vals), func(i int) bool { return vals[i].x.(bool) })
		} else {
			a.data = vals
		}
		return v, nil
	}
	s, _ := r.take(int64(n)*elem.size(), field)
	a.data = decodeFixed(elem, s, int(n))
	return v, nil
}

// decodeFixed decodes n little-endian values of the fixed-size type t
// from s.
func decodeFixed(t ValueType, s []byte, n int) any {
	le := binary.LittleEndian
	switch t {
	case TypeUint8:
		return slices.Clone(s)
	case TypeInt8:
		return fill(n, func(i int) int8 { return int8(s[i]) })
	case TypeUint16:
		return fill(n, func(i int) uint16 { return le.Uint16(s[2*i:]) })
	case TypeInt16:
		return fill(n, func(i int) int16 { return int16(le.Uint16(s[2*i:])) })
	case TypeUint32:
		return fill(n, func(i int) uint32 { return le.Uint32(s[4*i:]) })
	case TypeInt32:
		return fill(n, func(i int) int32 { return int32(le.Uint32(s[4*i:])) })
	case TypeFloat32:
		return fill(n, func(i int) float32 { return math.Float32frombits(le.Uint32(s[4*i:])) })
	case TypeUint64:
		return fill(n, func(i int) uint64 { return le.Uint64(s[8*i:]) })
	case TypeInt64:
		return fill(n, func(i int) int64 { return int64(le.Uint64(s[8*i:])) })
	case TypeFloat64:
		return fill(n, func(i int) float64 { return math.Float64frombits(le.Uint64(s[8*i:])) })
	}
	panic("gguf: decodeFixed of " + t.String())
}

func fill[T any](n int, at func(int) T) []T {
	out := make([]T, n)
	for i := range out {
		out[i] = at(i)
	}
	return out
}

// readAlignment applies general.alignment when the file sets it.
func (f *File) readAlignment() error {
	i, ok := f.keys["general.alignment"]
	if !ok {
		return nil
	}
	kv := f.KV[i]
	a, ok := kv.Value.x.(uint32)
	if !ok {
		return errAt(kv.Offset, "key %d \"general.alignment\": type %s, want uint32", i, kv.Value.typ)
	}
	if a == 0 || a&(a-1) != 0 || a%8 != 0 {
		return errAt(kv.Offset, "key %d \"general.alignment\": %d is not a power of two and a multiple of 8", i, a)
	}
	f.Alignment = int64(a)
	return nil
}

// readTensorInfo reads entry i of the tensor table and checks its name,
// dims, type and offset alignment; where its data lies is checked once
// the data section's start is known (checkLayout).
func (f *File) readTensorInfo(r *reader, i int) error {
	at := r.off
	field := "tensor " + strconv.Itoa(i)
	name, err := r.str(field+" name", MaxNameBytes)
	if err != nil {
		return err
	}
	switch {
	case name == "":
		return errAt(at, "%s: empty name", field)
	case !utf8.ValidString(name):
		return errAt(at, "%s %q: name is not valid UTF-8", field, name)
	case slices.Contains([]byte(name), 0):
		return errAt(at, "%s %q: name holds a NUL byte", field, name)
	}
	field += " " + strconv.Quote(name)
	if j, dup := f.tensors[name]; dup {
		return errAt(at, "%s: duplicate name (also tensor %d at offset 0x%x)", field, j, f.Tensors[j].InfoOffset)
	}
	nat := r.off
	nd, err := r.u32(field + ": dims count")
	if err != nil {
		return err
	}
	if nd > MaxDims {
		return errAt(nat, "%s: dims count %d exceeds %d", field, nd, MaxDims)
	}
	dims := make([]uint64, nd)
	elems := uint64(1)
	for d := range dims {
		dat := r.off
		n, err := r.u64(field + ": dim " + strconv.Itoa(d))
		if err != nil {
			return err
		}
		hi, lo := bits.Mul64(elems, n)
		if n > math.MaxInt64 || hi != 0 || lo > math.MaxInt64 {
			return errAt(dat, "%s: dim %d (%d): the element count overflows int64", field, d, n)
		}
		dims[d], elems = n, lo
	}
	tat := r.off
	tid, err := r.u32(field + ": type")
	if err != nil {
		return err
	}
	typ := quant.GGMLType(tid)
	info, ok := quant.Info(typ)
	if !ok {
		if name, retired := quant.Retired(typ); retired {
			return errAt(tat, "%s: ggml type %d (%s) was retired from the format", field, tid, name)
		}
		return errAt(tat, "%s: unknown ggml type %d", field, tid)
	}
	row := uint64(1)
	if nd > 0 {
		row = dims[0]
	}
	if row%uint64(info.BlockLen) != 0 {
		return errAt(tat, "%s: rows of %d elements are not a whole number of %s blocks of %d", field, row, info.Name, info.BlockLen)
	}
	// Blocks of F32, I64 and the like take more bytes than elements, so
	// the byte count can overflow where the element count did not.
	hi, size := bits.Mul64(elems/uint64(info.BlockLen), uint64(info.BlockBytes))
	if hi != 0 || size > math.MaxInt64 {
		return errAt(tat, "%s: %d elements of %s overflow int64 bytes", field, elems, info.Name)
	}
	oat := r.off
	off, err := r.u64(field + ": offset")
	if err != nil {
		return err
	}
	if off > math.MaxInt64 || off%uint64(f.Alignment) != 0 {
		return errAt(oat, "%s: data offset %d is not a multiple of the alignment %d", field, off, f.Alignment)
	}
	f.tensors[name] = len(f.Tensors)
	f.Tensors = append(f.Tensors, TensorInfo{
		Name: name, Type: typ, Dims: dims, Offset: int64(off), Bytes: int64(size), InfoOffset: at,
	})
	return nil
}

// checkLayout checks that every tensor's data lies inside the file and
// that no two tensors' data overlap.
func (f *File) checkLayout() error {
	section := f.Size - f.DataOffset // negative when the header's padding is cut off
	for i := range f.Tensors {
		t := &f.Tensors[i]
		if t.Offset > section || t.Bytes > section-t.Offset {
			return errAt(t.InfoOffset, "tensor %d %q: data [%d, +%d) of the data section runs past the end of the file (section of %d bytes at offset 0x%x)",
				i, t.Name, t.Offset, t.Bytes, max(section, 0), f.DataOffset)
		}
	}
	order := make([]int, len(f.Tensors))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		ta, tb := &f.Tensors[a], &f.Tensors[b]
		if ta.Offset != tb.Offset {
			return cmpInt(ta.Offset, tb.Offset)
		}
		return cmpInt(ta.Bytes, tb.Bytes)
	})
	// Sorted by start, a tensor overlaps an earlier one exactly when it
	// starts before the furthest end seen so far; empty tensors hold no
	// bytes and overlap nothing.
	var end int64
	last := -1
	for _, i := range order {
		t := &f.Tensors[i]
		if t.Bytes == 0 {
			continue
		}
		if last >= 0 && t.Offset < end {
			p := &f.Tensors[last]
			return errAt(t.InfoOffset, "tensor %d %q: data [%d, +%d) overlaps tensor %d %q [%d, +%d)",
				i, t.Name, t.Offset, t.Bytes, last, p.Name, p.Offset, p.Bytes)
		}
		if e := t.Offset + t.Bytes; e > end {
			end, last = e, i
		}
	}
	return nil
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
