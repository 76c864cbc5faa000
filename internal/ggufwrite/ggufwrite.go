// Package ggufwrite writes GGUF files (version 3) for tests: metadata from
// Go values, tensors from their bytes. kiln only reads GGUF; tests use this
// to build the small files they need (a vocabulary with a made-up model
// around it, a key of the wrong type). Only tests import it.
package ggufwrite

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/kiln-ml/kiln/frontend/gguf"
)

// Align is the data alignment of the files Encode writes (GGUF's default,
// so no general.alignment key is needed).
const Align = 32

// KV is one metadata entry. Value is a uint8, int8, uint16, int16, uint32,
// int32, uint64, int64, float32, float64, bool or string, or a slice of
// one of those (an array).
type KV struct {
	Key   string
	Value any
}

// Tensor is one tensor: its name, ggml type id, dims in ggml order (the
// row length first) and data.
type Tensor struct {
	Name string
	Type uint32
	Dims []uint64
	Data []byte
}

// KVs returns f's metadata as Encode takes it, in file order (arrays of
// arrays are refused).
func KVs(f *gguf.File) ([]KV, error) {
	out := make([]KV, 0, len(f.KV))
	for _, kv := range f.KV {
		if _, nested := kv.Value.Interface().([]gguf.Value); nested {
			return nil, fmt.Errorf("ggufwrite: %s: arrays of arrays are not supported", kv.Key)
		}
		out = append(out, KV{kv.Key, kv.Value.Interface()})
	}
	return out, nil
}

// Encode returns the file holding kvs and tensors, each tensor's data
// aligned to Align.
func Encode(kvs []KV, tensors []Tensor) ([]byte, error) {
	w := &writer{}
	w.b = append(w.b, "GGUF"...)
	w.u32(3)
	w.u64(uint64(len(tensors)))
	w.u64(uint64(len(kvs)))
	for _, kv := range kvs {
		w.str(kv.Key)
		if err := w.value(kv.Value); err != nil {
			return nil, fmt.Errorf("ggufwrite: %s: %w", kv.Key, err)
		}
	}
	off := uint64(0)
	for _, t := range tensors {
		w.str(t.Name)
		w.u32(uint32(len(t.Dims)))
		for _, d := range t.Dims {
			w.u64(d)
		}
		w.u32(t.Type)
		w.u64(off)
		off = alignUp(off + uint64(len(t.Data)))
	}
	for _, t := range tensors {
		w.b = append(w.b, make([]byte, alignUp(uint64(len(w.b)))-uint64(len(w.b)))...)
		w.b = append(w.b, t.Data...)
	}
	return w.b, nil
}

func alignUp(n uint64) uint64 { return (n + Align - 1) / Align * Align }

type writer struct{ b []byte }

func (w *writer) u32(x uint32) { w.b = binary.LittleEndian.AppendUint32(w.b, x) }
func (w *writer) u64(x uint64) { w.b = binary.LittleEndian.AppendUint64(w.b, x) }
func (w *writer) str(s string) { w.u64(uint64(len(s))); w.b = append(w.b, s...) }

// value writes a value's type id and the value.
func (w *writer) value(v any) error {
	switch x := v.(type) {
	case []uint8:
		array(w, gguf.TypeUint8, x)
	case []int8:
		array(w, gguf.TypeInt8, x)
	case []uint16:
		array(w, gguf.TypeUint16, x)
	case []int16:
		array(w, gguf.TypeInt16, x)
	case []uint32:
		array(w, gguf.TypeUint32, x)
	case []int32:
		array(w, gguf.TypeInt32, x)
	case []uint64:
		array(w, gguf.TypeUint64, x)
	case []int64:
		array(w, gguf.TypeInt64, x)
	case []float32:
		array(w, gguf.TypeFloat32, x)
	case []float64:
		array(w, gguf.TypeFloat64, x)
	case []bool:
		array(w, gguf.TypeBool, x)
	case []string:
		array(w, gguf.TypeString, x)
	default:
		t, ok := scalarType(v)
		if !ok {
			return fmt.Errorf("no GGUF type for %T", v)
		}
		w.u32(uint32(t))
		w.scalar(v)
	}
	return nil
}

// array writes an array of elements of type t.
func array[T any](w *writer, t gguf.ValueType, xs []T) {
	w.u32(uint32(gguf.TypeArray))
	w.u32(uint32(t))
	w.u64(uint64(len(xs)))
	for _, x := range xs {
		w.scalar(x)
	}
}

// scalarType is the GGUF type of a scalar Go value.
func scalarType(v any) (gguf.ValueType, bool) {
	switch v.(type) {
	case uint8:
		return gguf.TypeUint8, true
	case int8:
		return gguf.TypeInt8, true
	case uint16:
		return gguf.TypeUint16, true
	case int16:
		return gguf.TypeInt16, true
	case uint32:
		return gguf.TypeUint32, true
	case int32:
		return gguf.TypeInt32, true
	case uint64:
		return gguf.TypeUint64, true
	case int64:
		return gguf.TypeInt64, true
	case float32:
		return gguf.TypeFloat32, true
	case float64:
		return gguf.TypeFloat64, true
	case bool:
		return gguf.TypeBool, true
	case string:
		return gguf.TypeString, true
	}
	return 0, false
}

// scalar writes a scalar's bytes (scalarType knows its type).
func (w *writer) scalar(v any) {
	switch x := v.(type) {
	case uint8:
		w.b = append(w.b, x)
	case int8:
		w.b = append(w.b, byte(x))
	case uint16:
		w.b = binary.LittleEndian.AppendUint16(w.b, x)
	case int16:
		w.b = binary.LittleEndian.AppendUint16(w.b, uint16(x))
	case uint32:
		w.u32(x)
	case int32:
		w.u32(uint32(x))
	case uint64:
		w.u64(x)
	case int64:
		w.u64(uint64(x))
	case float32:
		w.u32(math.Float32bits(x))
	case float64:
		w.u64(math.Float64bits(x))
	case bool:
		if x {
			w.b = append(w.b, 1)
		} else {
			w.b = append(w.b, 0)
		}
	case string:
		w.str(x)
	}
}
