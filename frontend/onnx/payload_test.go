package onnx

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/kiln-ml/kiln/frontend/onnx/onnxpb"
	"github.com/kiln-ml/kiln/internal/testenv"
)

// importConstants runs the importer's constant path over a whole model file
// without converting its nodes (the shared models' ops need not be in this
// build): every initializer and Constant node tensor, in every subgraph, in
// graph order. The caller must call the returned release function.
func importConstants(path string) (*converter, []byte, func() error, error) {
	data, unmap, err := mapFile(path)
	if err != nil {
		return nil, nil, nil, err
	}
	skel, payloads, err := buildSkeleton(data)
	if err != nil {
		unmap()
		return nil, nil, nil, err
	}
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(skel, &mp); err != nil {
		unmap()
		return nil, nil, nil, err
	}
	c := newConverter(&mp, path)
	c.file, c.payloads = data, payloads
	c.scope = newScope(nil)
	if err := c.constantsOf(mp.Graph); err != nil {
		unmap()
		return nil, nil, nil, err
	}
	return c, data, func() error {
		for _, f := range c.closers {
			f()
		}
		return unmap()
	}, nil
}

func (c *converter) constantsOf(g *onnxpb.GraphProto) error {
	for _, tp := range g.Initializer {
		if err := c.initializer(tp); err != nil {
			return err
		}
	}
	for _, np := range g.Node {
		for _, a := range np.Attribute {
			if np.GetOpType() == "Constant" && a.GetName() == "value" {
				td, err := decodeTensor(a.T, c.ext)
				if err != nil {
					return err
				}
				c.addConst(np.Output[0], td)
			}
			for _, sg := range append([]*onnxpb.GraphProto{a.G}, a.Graphs...) {
				if sg != nil {
					outer := c.scope
					c.scope = newScope(outer)
					err := c.constantsOf(sg)
					c.scope = outer
					if err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

// fullTensors lists the same tensors as constantsOf, from a fully decoded
// model.
func fullTensors(g *onnxpb.GraphProto, out []*onnxpb.TensorProto) []*onnxpb.TensorProto {
	out = append(out, g.Initializer...)
	for _, np := range g.Node {
		for _, a := range np.Attribute {
			if np.GetOpType() == "Constant" && a.GetName() == "value" {
				out = append(out, a.T)
			}
			for _, sg := range append([]*onnxpb.GraphProto{a.G}, a.Graphs...) {
				if sg != nil {
					out = fullTensors(sg, out)
				}
			}
		}
	}
	return out
}

// TestZeroCopySharedModels checks on every shared model that each constant
// with raw_data (or one packed float/double run) aliases the mapped file at
// its Source, and holds the bytes the generated decoder would have given.
func TestZeroCopySharedModels(t *testing.T) {
	models := testenv.SharedONNXModels()
	if len(models) == 0 {
		t.Skip("no shared models")
	}
	for _, path := range models {
		t.Run(filepath.Base(path), func(t *testing.T) {
			c, data, release, err := importConstants(path)
			if err != nil {
				t.Fatal(err)
			}
			defer release()
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var mp onnxpb.ModelProto
			if err := proto.Unmarshal(raw, &mp); err != nil {
				t.Fatal(err)
			}
			want := fullTensors(mp.Graph, nil)
			if len(want) != len(c.m.Consts) {
				t.Fatalf("%d constants, want %d", len(c.m.Consts), len(want))
			}
			abs, _ := filepath.Abs(path)
			aliased := 0
			for i, v := range c.m.Consts {
				tp := want[i]
				wd, err := decodeTensor(tp, nil)
				if err != nil {
					t.Fatalf("%s: %v", tp.GetName(), err)
				}
				k := v.Const
				if !bytes.Equal(k.Bytes, wd.bytes) || len(k.Strings) != len(wd.strings) {
					t.Fatalf("constant %s: bytes differ from the full decode", k.Name)
				}
				inline := tp.RawData != nil || (len(tp.FloatData) > 0 && tp.GetDataType() == int32(onnxpb.TensorProto_FLOAT)) || (len(tp.DoubleData) > 0 && tp.GetDataType() == int32(onnxpb.TensorProto_DOUBLE))
				if k.Source == nil {
					if tp.RawData != nil {
						t.Errorf("constant %s has raw_data but no Source", k.Name)
					}
					continue
				}
				if !inline {
					t.Errorf("constant %s has a Source but no raw payload", k.Name)
				}
				s := k.Source
				if s.Path != abs || s.Length != int64(len(k.Bytes)) {
					t.Fatalf("constant %s: Source %+v", k.Name, *s)
				}
				if s.Length > 0 && &data[s.Offset] != &k.Bytes[0] {
					t.Fatalf("constant %s does not alias the mapped file", k.Name)
				}
				aliased++
			}
			t.Logf("%d constants, %d aliasing the file", len(c.m.Consts), aliased)
		})
	}
}

// TestImportMemory measures the heap the constant path of Import allocates
// for the largest shared model against the size of the file: with payloads
// aliased it must stay a small fraction of the weights.
func TestImportMemory(t *testing.T) {
	path := testenv.SharedONNXModel(t, "minilm-like-opset14.onnx")
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	start := time.Now()
	_, _, release, err := importConstants(path)
	el := time.Since(start)
	runtime.ReadMemStats(&m1)
	if err != nil {
		t.Fatal(err)
	}
	release()
	alloc := int64(m1.TotalAlloc - m0.TotalAlloc)
	t.Logf("%s: %d bytes, constants in %v, %d bytes allocated (%.1f%% of the file)", filepath.Base(path), st.Size(), el, alloc, 100*float64(alloc)/float64(st.Size()))
	if alloc > st.Size()/4 {
		t.Errorf("allocated %d bytes for a %d-byte model: payloads are being copied", alloc, st.Size())
	}
}

// TestImportSources checks Source on constants of each payload encoding.
func TestImportSources(t *testing.T) {
	dir := t.TempDir()
	f32, f64, i64 := int32(onnxpb.TensorProto_FLOAT), int32(onnxpb.TensorProto_DOUBLE), int32(onnxpb.TensorProto_INT64)
	for _, tc := range []struct {
		name   string
		mp     *onnxpb.ModelProto
		source bool
	}{
		{"raw_data", addModel(rawTensor("w", []int64{2, 2}, f32Raw(1, 2, 3, 4))), true},
		{"float_data", addModel(&onnxpb.TensorProto{Name: proto.String("w"), DataType: &f32, Dims: []int64{2, 2}, FloatData: []float32{1, 2, 3, 4}}), true},
		{"constant raw_data", constModel(rawTensor("", []int64{2, 2}, f32Raw(1, 2, 3, 4))), true},
		{"constant float_data", constModel(&onnxpb.TensorProto{DataType: &f32, Dims: []int64{2, 2}, FloatData: []float32{1, 2, 3, 4}}), true},
		{"scalar", addModel(rawTensor("w", nil, f32Raw(1))), true},
		{"empty", emptyModel(), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeModel(t, dir, "m.onnx", tc.mp)
			m, err := Import(path)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			file, _ := os.ReadFile(path)
			abs, _ := filepath.Abs(path)
			c := m.Consts[0].Const
			if (c.Source != nil) != tc.source {
				t.Fatalf("Source %v, want one: %v", c.Source, tc.source)
			}
			if s := c.Source; s != nil && (s.Path != abs || !bytes.Equal(file[s.Offset:s.Offset+s.Length], c.Bytes)) {
				t.Fatalf("Source %+v does not hold the constant's bytes", *s)
			}
		})
	}
	// Typed fields other than packed float/double are converted, without a
	// Source; the skeleton keeps them.
	mp := addModel(rawTensor("w", []int64{2, 2}, f32Raw(1, 2, 3, 4)))
	mp.Graph.Initializer = append(mp.Graph.Initializer,
		&onnxpb.TensorProto{Name: proto.String("i"), DataType: &i64, Dims: []int64{2}, Int64Data: []int64{-1, 1 << 40}},
		&onnxpb.TensorProto{Name: proto.String("d"), DataType: &f64, Dims: []int64{2}, DoubleData: []float64{0.5, 2}})
	m, err := Import(writeModel(t, dir, "typed.onnx", mp))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if c := m.Const("i").Const; c.Source != nil || !bytes.Equal(c.Bytes, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 1, 0, 0}) {
		t.Errorf("int64_data constant: Source %v, bytes %v", c.Source, c.Bytes)
	}
	if c := m.Const("d").Const; c.Source == nil || len(c.Bytes) != 16 {
		t.Errorf("double_data constant: Source %v, %d bytes", c.Source, len(c.Bytes))
	}
}

// emptyModel adds a zero-size initializer to a [2,0] input.
func emptyModel() *onnxpb.ModelProto {
	mp := addModel(rawTensor("w", []int64{0}, []byte{}))
	mp.Graph.Input[0] = tensorVI("x", onnxpb.TensorProto_FLOAT, 2, 0)
	mp.Graph.Output[0] = tensorVI("y", onnxpb.TensorProto_FLOAT, 2, 0)
	return mp
}

// TestPayloadWireForms checks unusual but valid encodings of a tensor's
// payload. The tensor bytes are built by hand and merged into the model's
// graph by a second graph field, as protobuf merges repeated occurrences of
// a message field.
func TestPayloadWireForms(t *testing.T) {
	head := func() []byte {
		var b []byte
		b = protowire.AppendTag(b, fieldTensorName, protowire.BytesType)
		b = protowire.AppendString(b, "w")
		b = protowire.AppendTag(b, 2, protowire.VarintType) // data_type
		b = protowire.AppendVarint(b, uint64(onnxpb.TensorProto_FLOAT))
		for _, d := range []uint64{2, 2} {
			b = protowire.AppendTag(b, 1, protowire.VarintType) // dims
			b = protowire.AppendVarint(b, d)
		}
		return b
	}
	raw := func(b, v []byte) []byte {
		b = protowire.AppendTag(b, fieldTensorRawData, protowire.BytesType)
		return protowire.AppendBytes(b, v)
	}
	packed := func(b []byte, vals ...float32) []byte {
		b = protowire.AppendTag(b, fieldTensorFloatData, protowire.BytesType)
		return protowire.AppendBytes(b, f32Raw(vals...))
	}
	unpacked := func(b []byte, vals ...float32) []byte {
		for _, v := range vals {
			b = protowire.AppendTag(b, fieldTensorFloatData, protowire.Fixed32Type)
			b = protowire.AppendFixed32(b, math.Float32bits(v))
		}
		return b
	}
	for _, tc := range []struct {
		name   string
		tensor []byte
		source bool
	}{
		{"raw twice, last wins", raw(raw(head(), f32Raw(9, 9, 9, 9)), f32Raw(1, 2, 3, 4)), true},
		{"two packed runs", packed(packed(head(), 1, 2), 3, 4), false},
		{"unpacked", unpacked(head(), 1, 2, 3, 4), false},
		{"packed then unpacked", unpacked(packed(head(), 1, 2), 3, 4), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mp := addModel(rawTensor("w", []int64{2, 2}, f32Raw(0, 0, 0, 0)))
			mp.Graph.Initializer = nil
			b := marshal(t, mp)
			var g []byte
			g = protowire.AppendTag(g, fieldGraphInitializer, protowire.BytesType)
			g = protowire.AppendBytes(g, tc.tensor)
			b = protowire.AppendTag(b, fieldModelGraph, protowire.BytesType)
			b = protowire.AppendBytes(b, g)
			m, err := ImportBytes(b, "wire.onnx")
			if err != nil {
				t.Fatal(err)
			}
			c := m.Const("w").Const
			if !bytes.Equal(c.Bytes, f32Raw(1, 2, 3, 4)) {
				t.Errorf("bytes %v", c.Bytes)
			}
			if (c.Source != nil) != tc.source {
				t.Errorf("Source %v, want one: %v", c.Source, tc.source)
			}
			if s := c.Source; s != nil && !bytes.Equal(b[s.Offset:s.Offset+s.Length], c.Bytes) {
				t.Errorf("Source %+v does not hold the bytes", *s)
			}
		})
	}
}

// TestPayloadMarkerSpoofing gives a tensor the importer does not cut out
// (the value attribute of ConstantOfShape) raw_data that spells a payload
// marker the way an in-band marker would be spelled, aiming at the
// initializer "secret": the import must treat those bytes as the tensor's
// own data (here the wrong size, so an error), never as a reference to
// another tensor's bytes.
func TestPayloadMarkerSpoofing(t *testing.T) {
	i64 := int32(onnxpb.TensorProto_INT64)
	for _, forged := range [][]byte{
		[]byte("\xffkiln\xffpayload\xff\x00"), // the marker kiln once used
		{0},                                   // a bare index
	} {
		secret := rawTensor("secret", []int64{1}, f32Raw(42))
		shape := &onnxpb.TensorProto{Name: proto.String("shape"), DataType: &i64, Dims: []int64{1}, Int64Data: []int64{1}}
		value := rawTensor("", []int64{1}, forged)
		mp := opsetModel(8, 13, &onnxpb.GraphProto{
			Name:        proto.String("g"),
			Initializer: []*onnxpb.TensorProto{secret, shape},
			Node: []*onnxpb.NodeProto{
				nodeProto("fill", "ConstantOfShape", []string{"shape"}, []string{"f"},
					&onnxpb.AttributeProto{Name: proto.String("value"), Type: onnxpb.AttributeProto_TENSOR.Enum(), T: value}),
				nodeProto("add", "Add", []string{"f", "secret"}, []string{"y"}),
			},
			Output: []*onnxpb.ValueInfoProto{tensorVI("y", onnxpb.TensorProto_FLOAT, 1)},
		})
		path := filepath.Join(t.TempDir(), "spoof.onnx")
		m, err := Import(writeBytes(t, path, marshal(t, mp)))
		if err == nil {
			m.Close()
			t.Fatalf("raw_data %q: import succeeded", forged)
		}
		want := fmt.Sprintf(`node "fill" (ConstantOfShape): attribute "value": raw_data has %d bytes, f32[1] needs 4`, len(forged))
		if !strings.Contains(err.Error(), want) {
			t.Errorf("raw_data %q: error %q, want %q", forged, err, want)
		}
	}
}
