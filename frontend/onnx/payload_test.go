package onnx

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/kiln-ml/kiln/frontend/onnx/onnxpb"
	"github.com/kiln-ml/kiln/ir"
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
	c.scope = &scope{vals: map[string]*ir.Value{}}
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
					if err := c.constantsOf(sg); err != nil {
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
	models := sharedModels(t)
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
	var path string
	for _, p := range sharedModels(t) {
		if filepath.Base(p) == "minilm-like-opset14.onnx" {
			path = p
		}
	}
	if path == "" {
		t.Skip("no shared minilm-like-opset14.onnx")
	}
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
