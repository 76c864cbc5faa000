package onnx

import (
	"math/rand"
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

// importHostile imports b as path and returns the error; it fails the test
// on success, on a panic (ImportBytes must not panic) and when the import
// allocated more than limit bytes.
func importHostile(t *testing.T, b []byte, path string, limit uint64) string {
	t.Helper()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	m, err := Import(writeBytes(t, path, b))
	runtime.ReadMemStats(&m1)
	if alloc := m1.TotalAlloc - m0.TotalAlloc; alloc > limit {
		t.Errorf("import allocated %d bytes (limit %d)", alloc, limit)
	}
	if err == nil {
		m.Close()
		t.Fatal("import succeeded")
	}
	return err.Error()
}

func writeBytes(t *testing.T, path string, b []byte) string {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestHostileModels checks that defective models give one error naming the
// file and the place, without panics or large allocations.
func TestHostileModels(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.onnx")
	f32 := int32(onnxpb.TensorProto_FLOAT)
	withInit := func(tp *onnxpb.TensorProto) []byte { return marshal(t, addModel(tp)) }
	deep := func(levels int) []byte {
		g := &onnxpb.GraphProto{Name: proto.String("leaf")}
		for i := 0; i < levels; i++ {
			g = &onnxpb.GraphProto{Name: proto.String("g"), Node: []*onnxpb.NodeProto{nodeProto("if", "If", []string{"c"}, []string{"y"},
				&onnxpb.AttributeProto{Name: proto.String("then_branch"), Type: onnxpb.AttributeProto_GRAPH.Enum(), G: g})}}
		}
		mp := addModel(rawTensor("w", []int64{2, 2}, f32Raw(1, 2, 3, 4)))
		mp.Graph.Node = append(mp.Graph.Node, g.Node...)
		return marshal(t, mp)
	}
	hugeLen := protowire.AppendTag(nil, fieldModelGraph, protowire.BytesType)
	hugeLen = protowire.AppendVarint(hugeLen, 1<<40)
	hugeLen = append(hugeLen, 1, 2, 3)
	hugeInner := marshal(t, addModel(rawTensor("w", []int64{2, 2}, f32Raw(1, 2, 3, 4))))
	// The initializer's raw_data length claims far more than the file holds.
	if i := strings.Index(string(hugeInner), string(f32Raw(1, 2, 3, 4))); i > 0 {
		hugeInner = append(hugeInner[:i-1:i-1], append(protowire.AppendVarint(nil, 1<<62), hugeInner[i:]...)...)
	}
	for _, tc := range []struct {
		name  string
		model []byte
		want  []string // substrings of the error after the path
	}{
		{"empty", nil, []string{"model has no graph"}},
		{"missing graph", marshal(t, &onnxpb.ModelProto{IrVersion: proto.Int64(8)}), []string{"model has no graph"}},
		{"not protobuf", []byte("this is not an onnx model at all"), []string{"not a valid ONNX model"}},
		{"huge graph length", hugeLen, []string{"not a valid ONNX model", "offset 0", "field 7"}},
		{"huge raw_data length", hugeInner, []string{"not a valid ONNX model", `initializer "w"`}},
		{"negative dim", withInit(rawTensor("w", []int64{-1, 2}, f32Raw(1, 2))), []string{`initializer "w": negative dim -1`}},
		{"dims overflow", withInit(rawTensor("w", []int64{1 << 40, 1 << 40}, f32Raw(1))), []string{`initializer "w": dims`, "too many elements"}},
		{"huge dims typed", withInit(&onnxpb.TensorProto{Name: proto.String("w"), DataType: &f32, Dims: []int64{1 << 20, 1 << 20}, FloatData: []float32{1, 2}}),
			[]string{`initializer "w": `, "float_data has 2 values"}},
		{"huge dims int32", withInit(&onnxpb.TensorProto{Name: proto.String("w"), DataType: proto.Int32(int32(onnxpb.TensorProto_INT32)), Dims: []int64{1 << 30, 1 << 20}, Int32Data: []int32{1}}),
			[]string{`initializer "w": 1 typed values for 1125899906842624 elements`}},
		{"raw too short", withInit(rawTensor("w", []int64{2, 2}, f32Raw(1, 2, 3))), []string{`initializer "w": raw_data has 12 bytes, f32[2 2] needs 16`}},
		{"raw too long", withInit(rawTensor("w", []int64{2}, f32Raw(1, 2, 3))), []string{`initializer "w": raw_data has 12 bytes, f32[2] needs 8`}},
		{"float_data on int", withInit(&onnxpb.TensorProto{Name: proto.String("w"), DataType: proto.Int32(int32(onnxpb.TensorProto_INT32)), Dims: []int64{2}, FloatData: []float32{1, 2}}),
			[]string{`initializer "w": float_data cannot hold i32 elements`}},
		{"unknown dtype", withInit(&onnxpb.TensorProto{Name: proto.String("w"), DataType: proto.Int32(99), Dims: []int64{2}, RawData: []byte{1, 2}}),
			[]string{`initializer "w": unsupported ONNX element type 99`}},
		{"strings count", withInit(&onnxpb.TensorProto{Name: proto.String("w"), DataType: proto.Int32(int32(onnxpb.TensorProto_STRING)), Dims: []int64{1 << 40}, StringData: [][]byte{[]byte("a")}}),
			[]string{`initializer "w": 1 strings for 1099511627776 elements`}},
		{"constant raw size", marshal(t, constModel(rawTensor("", []int64{2, 2}, f32Raw(1)))), []string{`node "c" (Constant): attribute value: raw_data has 4 bytes, f32[2 2] needs 16`}},
		{"deep nesting", deep(200), []string{"subgraphs nested more than 64 deep", "levels", `node "if" (#2): attribute "then_branch"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := importHostile(t, tc.model, path, 4<<20)
			if !strings.HasPrefix(msg, path+": ") {
				t.Errorf("error %q does not start with the path", msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
			if len(msg) > 600 {
				t.Errorf("error of %d bytes", len(msg))
			}
			t.Log(msg)
		})
	}
	// An unknown input element type names the input.
	mp := addModel(rawTensor("w", []int64{2, 2}, f32Raw(1, 2, 3, 4)))
	mp.Graph.Input[0] = tensorVI("x", 99, 2, 2)
	if msg := importHostile(t, marshal(t, mp), path, 1<<20); !strings.Contains(msg, `input "x": unsupported ONNX element type 99`) {
		t.Errorf("error %q", msg)
	}
	// Negative dims in a declared input type.
	mp.Graph.Input[0] = tensorVI("x", onnxpb.TensorProto_FLOAT, 2, -3)
	if msg := importHostile(t, marshal(t, mp), path, 1<<20); !strings.Contains(msg, `input "x": negative dim -3`) {
		t.Errorf("error %q", msg)
	}
}

// TestTruncatedAndCorruptedModels cuts every shared model at several points
// and flips bytes in it: each import must fail (or succeed) cleanly.
func TestTruncatedAndCorruptedModels(t *testing.T) {
	models := testenv.SharedONNXModels()
	if len(models) == 0 {
		t.Skip("no shared models")
	}
	tmp := filepath.Join(t.TempDir(), "cut.onnx")
	rng := rand.New(rand.NewSource(1))
	for _, p := range models {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		n := len(data)
		cuts := []int{0, 1, 2, 7, 64, 1000, n / 7, n / 3, n / 2, n - n/5, n - 100, n - 1}
		for _, k := range cuts {
			if k < 0 || k >= n {
				continue
			}
			if _, err := ImportBytes(data[:k], tmp); err == nil {
				t.Errorf("%s cut at %d of %d: import succeeded", filepath.Base(p), k, n)
			}
		}
		flips := 20
		if n > 1<<22 {
			flips = 4 // keep the large models quick
		}
		for i := 0; i < flips; i++ {
			b := append([]byte(nil), data...)
			for j := 0; j < 1+rng.Intn(4); j++ {
				// Flip bytes early in the file, where the structure is.
				b[rng.Intn(min(n, 1<<16))] ^= byte(1 + rng.Intn(255))
			}
			if m, err := ImportBytes(b, tmp); err == nil {
				m.Close()
			}
		}
	}
}

// TestManyUnnamedConstants guards against quadratic constant naming: a model
// with many Constant nodes without output names imports in linear time.
func TestManyUnnamedConstants(t *testing.T) {
	mp := addModel(rawTensor("w", []int64{2, 2}, f32Raw(1, 2, 3, 4)))
	var nodes []*onnxpb.NodeProto
	for i := 0; i < 20000; i++ {
		nodes = append(nodes, nodeProto("", "Constant", nil, []string{""},
			&onnxpb.AttributeProto{Name: proto.String("value"), Type: onnxpb.AttributeProto_TENSOR.Enum(), T: rawTensor("", nil, f32Raw(1))}))
	}
	mp.Graph.Node = append(nodes, mp.Graph.Node...)
	start := time.Now()
	m, err := ImportBytes(marshal(t, mp), "many.onnx")
	if err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("import of 20000 constants took %v", el)
	}
	if len(m.Consts) != 20001 || m.Const("const.19999") == nil {
		t.Errorf("%d constants", len(m.Consts))
	}
}

// TestTypedDataRange checks that typed values too wide for the tensor's
// element type are refused, naming the tensor, value and index, and that
// the extreme values that fit are kept bit for bit.
func TestTypedDataRange(t *testing.T) {
	typed := func(d onnxpb.TensorProto_DataType, i32 []int32, u64 []uint64) *onnxpb.TensorProto {
		n := int64(len(i32) + len(u64))
		return &onnxpb.TensorProto{Name: proto.String("w"), DataType: proto.Int32(int32(d)), Dims: []int64{n}, Int32Data: i32, Uint64Data: u64}
	}
	for _, tc := range []struct {
		name string
		tp   *onnxpb.TensorProto
		want string // "" when valid
		raw  []byte // the bytes a valid tensor decodes to
	}{
		{"u8 300", typed(onnxpb.TensorProto_UINT8, []int32{1, 300}, nil), "int32_data value 300 at index 1 does not fit u8", nil},
		{"u8 -1", typed(onnxpb.TensorProto_UINT8, []int32{-1}, nil), "int32_data value -1 at index 0 does not fit u8", nil},
		{"i8 128", typed(onnxpb.TensorProto_INT8, []int32{128}, nil), "int32_data value 128 at index 0 does not fit i8", nil},
		{"i16 -32769", typed(onnxpb.TensorProto_INT16, []int32{-32769}, nil), "int32_data value -32769 at index 0 does not fit i16", nil},
		{"u16 65536", typed(onnxpb.TensorProto_UINT16, []int32{65536}, nil), "int32_data value 65536 at index 0 does not fit u16", nil},
		{"bool 2", typed(onnxpb.TensorProto_BOOL, []int32{0, 1, 2}, nil), "int32_data value 2 at index 2 does not fit bool", nil},
		{"f16 bits", typed(onnxpb.TensorProto_FLOAT16, []int32{0x10000}, nil), "int32_data value 65536 at index 0 does not fit f16 bits", nil},
		{"bf16 negative", typed(onnxpb.TensorProto_BFLOAT16, []int32{-1}, nil), "int32_data value -1 at index 0 does not fit bf16 bits", nil},
		{"u32 2^32", typed(onnxpb.TensorProto_UINT32, nil, []uint64{1 << 32}), "uint64_data value 4294967296 at index 0 does not fit u32", nil},
		{"i8 extremes", typed(onnxpb.TensorProto_INT8, []int32{-128, 127}, nil), "", []byte{0x80, 0x7f}},
		{"u16 extremes", typed(onnxpb.TensorProto_UINT16, []int32{0, 65535}, nil), "", []byte{0, 0, 0xff, 0xff}},
		{"f16 bits 0xffff", typed(onnxpb.TensorProto_FLOAT16, []int32{0x3c00, 0xffff}, nil), "", []byte{0x00, 0x3c, 0xff, 0xff}},
		{"u32 max", typed(onnxpb.TensorProto_UINT32, nil, []uint64{1<<32 - 1}), "", []byte{0xff, 0xff, 0xff, 0xff}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			td, err := decodeTensor(tc.tp, nil)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if string(td.bytes) != string(tc.raw) {
					t.Errorf("bytes % x, want % x", td.bytes, tc.raw)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			// Through the importer the error names the initializer.
			_, err = ImportModel(addModel(tc.tp), "range.onnx")
			if err == nil || !strings.Contains(err.Error(), `initializer "w": `+tc.want) {
				t.Errorf("import error %v", err)
			}
		})
	}
}

// TestHostileTypes checks the declared types of graph inputs, outputs and
// value_info: negative dims, dims whose element count overflows int64
// (4294967297*4294967295 is 2^64-1, which wraps to -1) and endless
// sequence nesting are errors naming the value.
func TestHostileTypes(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.onnx")
	f := onnxpb.TensorProto_FLOAT
	nested := func(levels int) *onnxpb.ValueInfoProto {
		tp := tensorVI("x", f, 2).Type
		for i := 0; i < levels; i++ {
			tp = &onnxpb.TypeProto{Value: &onnxpb.TypeProto_SequenceType{SequenceType: &onnxpb.TypeProto_Sequence{ElemType: tp}}}
		}
		return &onnxpb.ValueInfoProto{Name: proto.String("x"), Type: tp}
	}
	for _, tc := range []struct {
		name string
		edit func(g *onnxpb.GraphProto)
		want string
	}{
		{"input dims overflow", func(g *onnxpb.GraphProto) { g.Input[0] = tensorVI("x", f, 4294967297, 4294967295, 4294967297) },
			`input "x": dims [4294967297 4294967295 4294967297]: too many elements`},
		{"input dims overflow beside zero", func(g *onnxpb.GraphProto) { g.Input[0] = tensorVI("x", f, 0, 1<<40, 1<<40) },
			`input "x": dims [0 1099511627776 1099511627776]: too many elements`},
		{"output dims overflow", func(g *onnxpb.GraphProto) { g.Output[0] = tensorVI("y", f, 1<<62, 4) },
			`output "y": dims [4611686018427387904 4]: too many elements`},
		{"value_info negative dim", func(g *onnxpb.GraphProto) { g.ValueInfo = []*onnxpb.ValueInfoProto{tensorVI("s", f, 2, -1)} },
			`value_info "s": negative dim -1`},
		{"value_info overflow", func(g *onnxpb.GraphProto) {
			g.ValueInfo = []*onnxpb.ValueInfoProto{tensorVI("s", f, 4294967297, 4294967295)}
		}, `value_info "s": dims [4294967297 4294967295]: too many elements`},
		{"unused value_info negative dim", func(g *onnxpb.GraphProto) { g.ValueInfo = []*onnxpb.ValueInfoProto{tensorVI("nowhere", f, -7)} },
			`value_info "nowhere": negative dim -7`},
		{"nested sequence type", func(g *onnxpb.GraphProto) { g.Input[0] = nested(1000) },
			`input "x": sequence and optional types nested more than 32 deep`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mp := addModel(rawTensor("w", []int64{2, 2}, f32Raw(1, 2, 3, 4)))
			tc.edit(mp.Graph)
			msg := importHostile(t, marshal(t, mp), path, 4<<20)
			if !strings.Contains(msg, tc.want) {
				t.Errorf("error %q, want %q", msg, tc.want)
			}
		})
	}
	// Nesting within the bound is a type like any other.
	mp := opsetModel(8, 13, &onnxpb.GraphProto{Name: proto.String("g"),
		Input:  []*onnxpb.ValueInfoProto{nested(3)},
		Output: []*onnxpb.ValueInfoProto{{Name: proto.String("y")}},
		Node:   []*onnxpb.NodeProto{nodeProto("id", "Identity", []string{"x"}, []string{"y"})}})
	m, err := ImportModel(mp, "seq.onnx")
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if got := m.Funcs[0].Body.Params[0].Type.String(); got != "seq<seq<seq<f32[2]>>>" {
		t.Errorf("input type %s", got)
	}
}

// TestContradictoryOpsets checks that an opset_import naming one domain
// twice with different versions is refused (which version would the nodes
// mean?), while a repeated identical entry is harmless.
func TestContradictoryOpsets(t *testing.T) {
	opset := func(domain string, v int64) *onnxpb.OperatorSetIdProto {
		return &onnxpb.OperatorSetIdProto{Domain: proto.String(domain), Version: proto.Int64(v)}
	}
	for _, tc := range []struct {
		name    string
		imports []*onnxpb.OperatorSetIdProto
		want    string // "" when valid
	}{
		{"default twice", []*onnxpb.OperatorSetIdProto{opset("", 13), opset("", 7)}, "opset_import gives domain ai.onnx (default) two versions, 13 and 7"},
		{"default under both names", []*onnxpb.OperatorSetIdProto{opset("", 13), opset("ai.onnx", 11)}, "opset_import gives domain ai.onnx (default) two versions, 13 and 11"},
		{"training twice", []*onnxpb.OperatorSetIdProto{opset("", 13), opset(domainTraining, 1), opset(domainTraining, 2)},
			"opset_import gives domain ai.onnx.preview.training two versions, 1 and 2"},
		{"same entry twice", []*onnxpb.OperatorSetIdProto{opset("", 13), opset("ai.onnx", 13)}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mp := addModel(rawTensor("w", []int64{2, 2}, f32Raw(1, 2, 3, 4)))
			mp.OpsetImport = tc.imports
			m, err := ImportModel(mp, "opset.onnx")
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				m.Close()
				return
			}
			if err == nil {
				m.Close()
				t.Fatal("import succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want %q", err, tc.want)
			}
		})
	}
}
