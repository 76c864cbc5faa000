package gguf

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/kiln-ml/kiln/internal/safefile"
	"github.com/kiln-ml/kiln/ir/quant"
)

// File is an opened GGUF file: its metadata, its tensor table and, mapped
// read-only, its bytes. Close releases the mapping; TensorData fails
// after it.
type File struct {
	// Version is the format version, 2 or 3.
	Version uint32
	// Alignment is the data alignment in bytes: general.alignment, or 32
	// when the file does not set it.
	Alignment int64
	// DataOffset is where the data section starts in the file: the end
	// of the header rounded up to Alignment. Tensor offsets count from it.
	DataOffset int64
	// Size is the file's size in bytes.
	Size int64
	// KV holds the metadata in file order.
	KV []KV
	// Tensors holds the tensor table in file order.
	Tensors []TensorInfo

	path    string
	keys    map[string]int // KV index by key
	tensors map[string]int // Tensors index by name
	data    []byte         // the whole file; nil once closed
	release func() error
}

// KV is one metadata entry.
type KV struct {
	Key   string
	Value Value
	// Offset is where the entry (its key's length) starts in the file.
	Offset int64
}

// TensorInfo is one entry of the tensor table.
type TensorInfo struct {
	// Name is the tensor's name, such as "blk.0.attn_q.weight".
	Name string
	// Type is the ggml element type of its data.
	Type quant.GGMLType
	// Dims are its sizes in ggml order: Dims[0] (ggml's ne[0]) is the
	// innermost, contiguous one, the row length. An empty Dims is a
	// scalar (one element).
	Dims []uint64
	// Offset is where its data starts, relative to the data section
	// (File.DataOffset); a multiple of File.Alignment.
	Offset int64
	// Bytes is the size of its data.
	Bytes int64
	// InfoOffset is where its entry in the tensor table starts in the
	// file, for error messages that point back at it.
	InfoOffset int64
}

// Elements returns the number of elements of t (the product of its dims;
// Open checked it fits in an int64).
func (t *TensorInfo) Elements() int64 {
	n := int64(1)
	for _, d := range t.Dims {
		n *= int64(d)
	}
	return n
}

// Shape formats t's dims in ggml order: "[64 512]", "[]" for a scalar.
func (t *TensorInfo) Shape() string {
	s := make([]string, len(t.Dims))
	for i, d := range t.Dims {
		s[i] = strconv.FormatUint(d, 10)
	}
	return "[" + strings.Join(s, " ") + "]"
}

// Open opens the GGUF file at path, maps it read-only and reads its
// header. A malformed file gives an *Error naming the path, the byte
// offset and the field; a path that is not a regular file (a folder, a
// device, a named pipe) is refused before any open that could block.
func Open(path string) (*File, error) {
	fd, err := safefile.Open(path)
	if err != nil {
		return nil, err
	}
	defer fd.Close()
	st, err := fd.Stat()
	if err != nil {
		return nil, err
	}
	data, release, err := mapFile(fd, st.Size())
	if err != nil {
		return nil, err
	}
	f, err := parse(data)
	if err != nil {
		release()
		if e, ok := errors.AsType[*Error](err); ok {
			e.Path = path
		}
		return nil, err
	}
	f.path = path
	f.release = release
	return f, nil
}

// Parse reads a GGUF file held in memory. TensorData returns slices of
// data, which must not change while the File is used.
func Parse(data []byte) (*File, error) {
	f, err := parse(data)
	if err != nil {
		return nil, err
	}
	f.release = func() error { return nil }
	return f, nil
}

// Close releases the file's mapping. It is safe to call more than once.
func (f *File) Close() error {
	if f.data == nil {
		return nil
	}
	f.data = nil
	return f.release()
}

// Tensor returns the tensor named name, and false when there is none.
func (f *File) Tensor(name string) (*TensorInfo, bool) {
	i, ok := f.tensors[name]
	if !ok {
		return nil, false
	}
	return &f.Tensors[i], true
}

// TensorData returns t's bytes as stored (quantized blocks stay blocks):
// a read-only slice of the mapped file, valid until Close. Writing to it
// faults.
func (f *File) TensorData(t *TensorInfo) ([]byte, error) {
	if f.data == nil {
		return nil, fmt.Errorf("%s: tensor %q: file is closed", f.name(), t.Name)
	}
	start := f.DataOffset + t.Offset
	if t.Offset < 0 || t.Bytes < 0 || start < f.DataOffset || start > int64(len(f.data)) || t.Bytes > int64(len(f.data))-start {
		return nil, fmt.Errorf("%s: tensor %q: bytes [%d, +%d) of the data section lie outside the file", f.name(), t.Name, t.Offset, t.Bytes)
	}
	end := start + t.Bytes
	return f.data[start:end:end], nil
}

// name is how errors name the file.
func (f *File) name() string {
	if f.path == "" {
		return "gguf"
	}
	return f.path
}

// Value returns the value of key, and false when the file has no such key.
func (f *File) Value(key string) (Value, bool) {
	i, ok := f.keys[key]
	if !ok {
		return Value{}, false
	}
	return f.KV[i].Value, true
}

// String returns key's value when it is a string.
func (f *File) String(key string) (string, bool) {
	v, _ := f.Value(key)
	return v.Str()
}

// Uint returns key's value when it is an integer of any type and not
// negative.
func (f *File) Uint(key string) (uint64, bool) {
	v, _ := f.Value(key)
	return v.Uint()
}

// Int returns key's value when it is an integer of any type that fits in
// an int64.
func (f *File) Int(key string) (int64, bool) {
	v, _ := f.Value(key)
	return v.Int()
}

// Float returns key's value when it is a float32 or a float64.
func (f *File) Float(key string) (float64, bool) {
	v, _ := f.Value(key)
	return v.Float()
}

// Bool returns key's value when it is a bool.
func (f *File) Bool(key string) (bool, bool) {
	v, _ := f.Value(key)
	return v.Bool()
}

// Strings returns key's value when it is an array of strings (shared with
// the File: do not modify it).
func (f *File) Strings(key string) ([]string, bool) {
	v, _ := f.Value(key)
	return v.Strings()
}

// Float32s returns key's value when it is an array of float32 (shared).
func (f *File) Float32s(key string) ([]float32, bool) {
	v, _ := f.Value(key)
	return v.Float32s()
}

// Int32s returns key's value when it is an array of int32 (shared).
func (f *File) Int32s(key string) ([]int32, bool) {
	v, _ := f.Value(key)
	return v.Int32s()
}

// Ints returns key's value when it is an array of integers of any one
// type that all fit in an int64, as a new slice.
func (f *File) Ints(key string) ([]int64, bool) {
	v, _ := f.Value(key)
	return v.Ints()
}
