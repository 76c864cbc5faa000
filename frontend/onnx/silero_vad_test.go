package onnx_test

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/kiln-ml/kiln/frontend/onnx"
	"github.com/kiln-ml/kiln/frontend/onnx/onnxtest"
	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/interp"
)

// Silero VAD v4 and v5 nest If 2 to 4 deep, with branches reading outer
// values, and run LSTMs: they check control flow and recurrent layers on
// real models against ONNX Runtime's outputs. The test skips while the
// importer still lacks ops of other families.
func TestSileroVAD(t *testing.T) {
	for _, c := range []string{"silero-vad-v4", "silero-vad-v4-sr8000", "silero-vad-v5", "silero-vad-v5-sr8000"} {
		t.Run(c, func(t *testing.T) {
			dir := filepath.Join("..", "..", "..", "shared", "models", "reference", "onnx", c)
			var cs struct {
				Model  string `json:"model"`
				Inputs []struct {
					Name, File string
				} `json:"inputs"`
				Outputs []struct {
					Name, File string
				} `json:"outputs"`
			}
			b, err := os.ReadFile(filepath.Join(dir, "case.json"))
			if err != nil {
				t.Skipf("reference data not available: %v", err)
			}
			if err := json.Unmarshal(b, &cs); err != nil {
				t.Fatal(err)
			}
			m, err := onnx.Import(filepath.Join(dir, "..", "..", "..", cs.Model))
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			inputs := map[string]interp.Value{}
			for _, in := range cs.Inputs {
				v, err := readSileroNpy(filepath.Join(dir, in.File))
				if err != nil {
					t.Fatal(err)
				}
				inputs[in.Name] = v
			}
			got, err := interp.New(m, interp.Options{}).RunNamed("", inputs)
			if err != nil {
				t.Fatal(err)
			}
			f := m.Funcs[0]
			for _, out := range cs.Outputs {
				want, err := readSileroNpy(filepath.Join(dir, out.File))
				if err != nil {
					t.Fatal(err)
				}
				i := sileroOutputIndex(f.OutputNames, out.Name)
				if i < 0 {
					t.Fatalf("model has no output %q", out.Name)
				}
				if err := onnxtest.Compare(got[i], want); err != nil {
					t.Errorf("output %q: %v", out.Name, err)
				}
			}
		})
	}
}

func sileroOutputIndex(xs []string, s string) int {
	for i, x := range xs {
		if x == s {
			return i
		}
	}
	return -1
}

var sileroNpyDescr = regexp.MustCompile(`'descr':\s*'([<|=]?)([a-z]\d+)'`)
var sileroNpyShape = regexp.MustCompile(`'shape':\s*\(([^)]*)\)`)

// readSileroNpy reads the little-endian, C-ordered .npy files of the
// reference folder (float32, int64 and bool suffice there).
func readSileroNpy(path string) (*interp.Tensor, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) < 10 || string(b[:6]) != "\x93NUMPY" {
		return nil, fmt.Errorf("%s: not a .npy file", path)
	}
	var hlen, off int
	if b[6] == 1 {
		hlen, off = int(binary.LittleEndian.Uint16(b[8:])), 10
	} else {
		hlen, off = int(binary.LittleEndian.Uint32(b[8:])), 12
	}
	if off+hlen > len(b) {
		return nil, fmt.Errorf("%s: truncated header", path)
	}
	h := string(b[off : off+hlen])
	if strings.Contains(h, "'fortran_order': True") {
		return nil, fmt.Errorf("%s: Fortran order", path)
	}
	dm, sm := sileroNpyDescr.FindStringSubmatch(h), sileroNpyShape.FindStringSubmatch(h)
	if dm == nil || sm == nil {
		return nil, fmt.Errorf("%s: cannot parse header %q", path, h)
	}
	var shape []int
	for _, s := range strings.Split(sm[1], ",") {
		if s = strings.TrimSpace(s); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil {
				return nil, fmt.Errorf("%s: bad shape %q", path, sm[1])
			}
			shape = append(shape, n)
		}
	}
	d, ok := map[string]ir.DType{"f4": ir.F32, "f8": ir.F64, "i8": ir.I64, "i4": ir.I32, "b1": ir.Bool}[dm[2]]
	if !ok {
		return nil, fmt.Errorf("%s: dtype %s not supported", path, dm[2])
	}
	return interp.DecodeBytes(d, shape, b[off+hlen:])
}
