package main

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
)

// tinyGGUF returns a GGUF file built by hand: general.architecture
// "llama", a 10-token vocabulary, a float32 and a long string; tensors
// "a" F32 [4 2] (8 elements, 32 bytes) and "b" Q8_0 [32] (one block, 34
// bytes), and the offset where its data section starts.
func tinyGGUF() ([]byte, int) {
	le32 := func(b []byte, v uint32) []byte { return binary.LittleEndian.AppendUint32(b, v) }
	le64 := func(b []byte, v uint64) []byte { return binary.LittleEndian.AppendUint64(b, v) }
	str := func(b []byte, s string) []byte { return append(le64(b, uint64(len(s))), s...) }
	b := []byte("GGUF")
	b = le32(b, 3)
	b = le64(b, 2) // tensors
	b = le64(b, 4) // metadata
	b = le32(str(b, "general.architecture"), 8)
	b = str(b, "llama")
	b = le32(str(b, "tokenizer.ggml.tokens"), 9)
	b = le64(le32(b, 8), 10)
	for i := range 10 {
		b = str(b, fmt.Sprintf("t%d", i))
	}
	b = le32(str(b, "x"), 6)
	b = le32(b, math.Float32bits(0.5))
	b = le32(str(b, "long"), 8)
	b = str(b, strings.Repeat("ab\n", 100))
	b = le32(str(b, "a"), 2)
	b = le32(le64(le64(b, 4), 2), 0) // dims 4, 2; F32
	b = le64(b, 0)
	b = le32(str(b, "b"), 1)
	b = le32(le64(b, 32), 8) // dims 32; Q8_0
	b = le64(b, 32)
	start := (len(b) + 31) / 32 * 32
	out := make([]byte, start+32+34)
	copy(out, b)
	return out, start
}

func TestInspect(t *testing.T) {
	data, start := tinyGGUF()
	p := writeFile(t, t.TempDir(), "tiny.gguf", string(data))
	code, stdout, stderr := runCLI("inspect", p)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"version    3\n",
		fmt.Sprintf("data       at offset %d, 66 bytes\n", start),
		"metadata   4 keys\n",
		"tensors    2, 40 elements, 66 bytes\n",
		`  general.architecture   string    "llama"` + "\n",
		`  tokenizer.ggml.tokens  [string]  ["t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7", ... (10 items)]` + "\n",
		"  x                      float32   0.5\n",
		`  long                   string    "` + strings.Repeat(`ab\n`, 40) + `"... (300 bytes)` + "\n",
		"  name  type  shape  bytes\n  a     F32   [4 2]  32\n  b     Q8_0  [32]   34\n",
		"\ntotals by type:\n  Q8_0  1 tensors  32 elements  34 bytes\n  F32   1 tensors  8 elements   32 bytes\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("kiln inspect lacks %q:\n%s", want, stdout)
		}
	}

	code, stdout, stderr = runCLI("inspect", "--json", p)
	if code != exitOK {
		t.Fatalf("--json: exit %d: %s", code, stderr)
	}
	var got struct {
		Version    uint32 `json:"version"`
		DataOffset int    `json:"data_offset"`
		Metadata   []struct {
			Key     string `json:"key"`
			Type    string `json:"type"`
			Element string `json:"element_type"`
			Len     int    `json:"length"`
			Value   any    `json:"value"`
		} `json:"metadata"`
		Tensors []struct {
			Name     string   `json:"name"`
			Type     string   `json:"type"`
			Shape    []uint64 `json:"shape"`
			Offset   int64    `json:"offset"`
			Bytes    int64    `json:"bytes"`
			Elements int64    `json:"elements"`
		} `json:"tensors"`
		Totals struct {
			Tensors  int   `json:"tensors"`
			Elements int64 `json:"elements"`
			Bytes    int64 `json:"bytes"`
		} `json:"totals"`
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	toks, _ := got.Metadata[1].Value.([]any)
	if got.Version != 3 || got.DataOffset != start || len(got.Metadata) != 4 ||
		got.Metadata[1].Key != "tokenizer.ggml.tokens" || got.Metadata[1].Type != "array" || got.Metadata[1].Element != "string" ||
		got.Metadata[1].Len != 10 || len(toks) != 10 || toks[9] != "t9" ||
		got.Metadata[2].Value != 0.5 || got.Metadata[3].Value != strings.Repeat("ab\n", 100) {
		t.Errorf("kiln inspect --json metadata: %+v", got)
	}
	if len(got.Tensors) != 2 || got.Tensors[1].Name != "b" || got.Tensors[1].Type != "Q8_0" || got.Tensors[1].Offset != 32 ||
		got.Tensors[1].Bytes != 34 || got.Tensors[1].Elements != 32 || len(got.Tensors[0].Shape) != 2 || got.Tensors[0].Shape[1] != 2 ||
		got.Totals.Tensors != 2 || got.Totals.Elements != 40 || got.Totals.Bytes != 66 {
		t.Errorf("kiln inspect --json tensors: %+v", got)
	}

	// A file cut inside the data section: exit 1 and the refusal.
	cut := writeFile(t, t.TempDir(), "cut.gguf", string(data[:len(data)-1]))
	code, _, stderr = runCLI("inspect", cut)
	if code != exitFailure || !strings.Contains(stderr, `kiln inspect: `+cut+`: offset 0x`) || !strings.Contains(stderr, `tensor 1 "b": data [32, +34)`) {
		t.Errorf("cut file: exit %d, %s", code, stderr)
	}
	code, _, stderr = runCLI("inspect", t.TempDir())
	if code != exitFailure || !strings.Contains(stderr, "not a regular file") {
		t.Errorf("folder: exit %d, %s", code, stderr)
	}
	if code, _, _ := runCLI("inspect"); code != exitUsage {
		t.Errorf("inspect without a file: exit %d", code)
	}
	if code, _, _ := runCLI("inspect", p, p); code != exitUsage {
		t.Errorf("inspect with two files: exit %d", code)
	}
}
