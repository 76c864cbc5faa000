package ggufwrite

import (
	"reflect"
	"testing"

	"github.com/kiln-ml/kiln/frontend/gguf"
)

// TestRoundTrip: every value type Encode takes reads back from the file
// through frontend/gguf as the same Go value, and tensors land where the
// reader finds them, with their bytes.
func TestRoundTrip(t *testing.T) {
	kvs := []KV{
		{"u8", uint8(200)}, {"i8", int8(-3)}, {"u16", uint16(60000)}, {"i16", int16(-300)},
		{"u32", uint32(1 << 31)}, {"i32", int32(-70000)}, {"u64", uint64(1 << 40)}, {"i64", int64(-1 << 40)},
		{"f32", float32(0.25)}, {"f64", 1e-300}, {"b", true}, {"s", "héllo"},
		{"au8", []uint8{1, 2}}, {"ai8", []int8{-1}}, {"au16", []uint16{7}}, {"ai16", []int16{-7}},
		{"au32", []uint32{9, 10}}, {"ai32", []int32{-9}}, {"au64", []uint64{1 << 33}}, {"ai64", []int64{-5}},
		{"af32", []float32{1.5, -2}}, {"af64", []float64{3.25}}, {"ab", []bool{true, false}}, {"as", []string{"a", "", "c"}},
	}
	tensors := []Tensor{
		{Name: "a", Type: 0, Dims: []uint64{3}, Data: []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}},
		{Name: "b", Type: 0, Dims: []uint64{1, 2}, Data: []byte{13, 14, 15, 16, 17, 18, 19, 20}},
	}
	b, err := Encode(kvs, tensors)
	if err != nil {
		t.Fatal(err)
	}
	f, err := gguf.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	got, err := KVs(f)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, kvs) {
		t.Errorf("metadata read back as\n%v\nwant\n%v", got, kvs)
	}
	for _, want := range tensors {
		ti, ok := f.Tensor(want.Name)
		if !ok {
			t.Fatalf("tensor %s missing", want.Name)
		}
		data, err := f.TensorData(ti)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(data, want.Data) || !reflect.DeepEqual(ti.Dims, want.Dims) {
			t.Errorf("tensor %s: dims %v data %v, want %v %v", want.Name, ti.Dims, data, want.Dims, want.Data)
		}
	}
	if _, err := Encode([]KV{{"x", struct{}{}}}, nil); err == nil {
		t.Error("a struct value: no error")
	}
}
