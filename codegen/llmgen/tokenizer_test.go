package llmgen

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kiln-ml/kiln/codegen/llmrt"
	"github.com/kiln-ml/kiln/frontend/gguf"
	"github.com/kiln-ml/kiln/internal/ggufwrite"
	"github.com/kiln-ml/kiln/internal/llamaref"
	"github.com/kiln-ml/kiln/tokenizer"
)

// The made-up llama the vocabularies are compiled with: one layer, width
// 8, F32 weights, a context of 16.
const (
	tinyEmbed = 8
	tinyFFN   = 16
	tinyCtx   = 16
)

// vocabModel writes, into a fresh temporary folder, a llama-architecture
// GGUF file holding the tokenizer.* metadata and general.name of the
// vocabulary-only file vocab and the tensors of a tiny model whose
// vocabulary it is (weights from a fixed pseudo-random sequence); the
// vocabulary files carry no tensors to compile.
func vocabModel(t *testing.T, vocab string, replace map[string]any) string {
	t.Helper()
	f, err := gguf.Open(vocab)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	all, err := ggufwrite.KVs(f)
	if err != nil {
		t.Fatal(err)
	}
	kvs := []ggufwrite.KV{
		{Key: "general.architecture", Value: "llama"},
		{Key: "llama.context_length", Value: uint32(tinyCtx)},
		{Key: "llama.embedding_length", Value: uint32(tinyEmbed)},
		{Key: "llama.block_count", Value: uint32(1)},
		{Key: "llama.feed_forward_length", Value: uint32(tinyFFN)},
		{Key: "llama.attention.head_count", Value: uint32(2)},
		{Key: "llama.attention.layer_norm_rms_epsilon", Value: float32(1e-5)},
	}
	for _, kv := range all {
		if kv.Key == "general.name" || strings.HasPrefix(kv.Key, "tokenizer.") {
			if v, ok := replace[kv.Key]; ok {
				kv.Value = v
			}
			kvs = append(kvs, kv)
		}
	}
	tokens, _ := f.Strings("tokenizer.ggml.tokens")
	seed := uint32(1)
	f32 := func(name string, dims ...uint64) ggufwrite.Tensor {
		n := uint64(1)
		for _, d := range dims {
			n *= d
		}
		data := make([]byte, 0, 4*n)
		for range n {
			seed = seed*1664525 + 1013904223
			data = binary.LittleEndian.AppendUint32(data, math.Float32bits(float32(int32(seed>>8)-1<<23)/(1<<23)))
		}
		return ggufwrite.Tensor{Name: name, Type: 0, Dims: dims, Data: data}
	}
	b, err := ggufwrite.Encode(kvs, []ggufwrite.Tensor{
		f32("token_embd.weight", tinyEmbed, uint64(len(tokens))),
		f32("blk.0.attn_norm.weight", tinyEmbed),
		f32("blk.0.attn_q.weight", tinyEmbed, tinyEmbed),
		f32("blk.0.attn_k.weight", tinyEmbed, tinyEmbed),
		f32("blk.0.attn_v.weight", tinyEmbed, tinyEmbed),
		f32("blk.0.attn_output.weight", tinyEmbed, tinyEmbed),
		f32("blk.0.ffn_norm.weight", tinyEmbed),
		f32("blk.0.ffn_gate.weight", tinyEmbed, tinyFFN),
		f32("blk.0.ffn_up.weight", tinyEmbed, tinyFFN),
		f32("blk.0.ffn_down.weight", tinyFFN, tinyEmbed),
		f32("output_norm.weight", tinyEmbed),
	})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), strings.TrimSuffix(filepath.Base(vocab), ".gguf")+"-llama.gguf")
	if err := os.WriteFile(p, b, 0o666); err != nil {
		t.Fatal(err)
	}
	return p
}

// vectorRequest is what the test program reads for one package: the
// inputs to encode and the ids to decode.
type vectorRequest struct {
	Inputs []string
	IDs    [][]int32
	Vocab  int // the vocabulary size: decoding it must fail
}

// vectorResult is what the program writes for one package.
type vectorResult struct {
	Encoded   [][]int32 // Encode(input, false)
	Decoded   []string  // Decode(ids)
	Texts     []string  // the TokenText of each id, joined
	BadDecode string    // Decode's error for the id Vocab
	Generated []int32   // greedy ids of Generate("Hello world", 4 tokens)
}

// vectorMain is the test program: it reads a JSON map of package names to
// vectorRequests from the file named by its argument and prints a JSON
// map to vectorResults, calling each package through an interface its
// Model satisfies.
const vectorMain = `package main

import (
	"encoding/json"
	"os"
	"strings"

%s)

type model interface {
	Encode(text string, bos bool) []int32
	Decode(ids []int32) (string, error)
	TokenText(id int32) string
}

type request struct {
	Inputs []string
	IDs    [][]int32
	Vocab  int
}

type result struct {
	Encoded   [][]int32
	Decoded   []string
	Texts     []string
	BadDecode string
	Generated []int32
}

func run(m model, req request, generate func() ([]int32, error)) result {
	var r result
	for _, s := range req.Inputs {
		r.Encoded = append(r.Encoded, m.Encode(s, false))
	}
	for _, ids := range req.IDs {
		s, err := m.Decode(ids)
		if err != nil {
			panic(err)
		}
		r.Decoded = append(r.Decoded, s)
		var b strings.Builder
		for _, id := range ids {
			b.WriteString(m.TokenText(id))
		}
		r.Texts = append(r.Texts, b.String())
	}
	if _, err := m.Decode([]int32{int32(req.Vocab)}); err != nil {
		r.BadDecode = err.Error()
	}
	var err error
	if r.Generated, err = generate(); err != nil {
		panic(err)
	}
	return r
}

func main() {
	raw, err := os.ReadFile(os.Args[1])
	if err != nil {
		panic(err)
	}
	var reqs map[string]request
	if err := json.Unmarshal(raw, &reqs); err != nil {
		panic(err)
	}
	out := map[string]result{}
%s	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		panic(err)
	}
}
`

// vectorCase is the code of main that runs one package.
const vectorCase = `	{
		m, err := %[1]s.New()
		if err != nil {
			panic(err)
		}
		out[%[1]q] = run(m, reqs[%[1]q], func() ([]int32, error) {
			return m.Generate("Hello world", %[1]s.GenerateOptions{MaxTokens: 4}, nil)
		})
	}
`

// TestGeneratedTokenizers compiles a package for each vocabulary of
// llama.cpp's tokenizer test vectors (SentencePiece, GPT-2 byte-level BPE
// with two pre-tokenizers, WordPiece), each around a tiny llama, builds
// them into one program (go vet clean) and checks through each package's
// own Encode, Decode and TokenText: every input encodes to llama.cpp's ids
// exactly; decoding llama.cpp's ids gives what kiln's tokenizer package
// gives, and the input itself for SentencePiece (its space prefix
// removed), as the joined token texts do for byte-level BPE; an id
// outside the vocabulary is an error. Each package is deterministic and
// gofmt-clean, carries WordPiece's NFD table only for the WordPiece
// vocabulary, and generates as the runtime does in process.
func TestGeneratedTokenizers(t *testing.T) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	dir := t.TempDir()
	var imports, cases strings.Builder
	reqs := map[string]vectorRequest{}
	type expect struct {
		tok      *tokenizer.Tokenizer
		inputs   []string
		ids      [][]int32
		generate []int32
	}
	want := map[string]expect{}
	for _, name := range llamaref.VectorVocabs {
		vocab := llamaref.VectorVocab(t, name)
		path := vocabModel(t, vocab, nil)
		pkg := "v_" + strings.ReplaceAll(name, "-", "_")
		opts := Options{Package: pkg, KilnVersion: "test"}
		p, err := Compile(path, opts)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		checkFiles(t, path, opts, p)
		_, hasTable := p.Files[TokenizerFilePrefix+"nfd_table.go"]
		if isWPM := p.Manifest.Tokenizer.Model == tokenizer.ModelWPM; hasTable != isWPM {
			t.Errorf("%s: tokenizer %s, NFD table carried: %v", name, p.Manifest.Tokenizer.Model, hasTable)
		}
		writePackage(t, dir, pkg, p)
		fmt.Fprintf(&imports, "\t%q\n", "gen/"+pkg)
		fmt.Fprintf(&cases, vectorCase, pkg)

		vf, err := gguf.Open(vocab)
		if err != nil {
			t.Fatal(err)
		}
		tok, err := tokenizer.FromGGUF(vf)
		vf.Close()
		if err != nil {
			t.Fatal(err)
		}
		inputs, ids := llamaref.Vectors(t, vocab)
		reqs[pkg] = vectorRequest{Inputs: inputs, IDs: ids, Vocab: tok.Len()}
		m, _ := planFile(t, path, opts)
		gen, err := m.Generate("Hello world", llmrt.GenerateOptions{MaxTokens: 4}, nil)
		if err != nil {
			t.Fatal(err)
		}
		want[pkg] = expect{tok, inputs, ids, gen}
	}
	buildProgram(t, goCmd, dir, fmt.Sprintf(vectorMain, imports.String(), cases.String()))
	reqFile := filepath.Join(dir, "requests.json")
	js, err := json.Marshal(reqs)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(reqFile, js, 0o666); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(dir, programName), reqFile)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("running the generated packages: %v", err)
	}
	var got map[string]vectorResult
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	pkgs := make([]string, 0, len(want))
	for pkg := range want {
		pkgs = append(pkgs, pkg)
	}
	slices.Sort(pkgs)
	for _, pkg := range pkgs {
		w, g := want[pkg], got[pkg]
		if len(g.Encoded) != len(w.inputs) || len(g.Decoded) != len(w.ids) || len(g.Texts) != len(w.ids) {
			t.Fatalf("%s: %d encodings, %d decodings and %d texts for %d vectors", pkg, len(g.Encoded), len(g.Decoded), len(g.Texts), len(w.inputs))
		}
		pass := 0
		for i, in := range w.inputs {
			ok := true
			if !slices.Equal(g.Encoded[i], w.ids[i]) {
				t.Errorf("%s: input %d %q: Encode gives %v, llama.cpp %v", pkg, i, in, g.Encoded[i], w.ids[i])
				ok = false
			}
			text, err := w.tok.Decode(w.ids[i])
			if err != nil {
				t.Fatal(err)
			}
			if g.Decoded[i] != text {
				t.Errorf("%s: input %d: Decode gives %q, the tokenizer package %q", pkg, i, g.Decoded[i], text)
				ok = false
			}
			switch w.tok.Model() {
			case tokenizer.ModelSPM:
				if g.Decoded[i] != in {
					t.Errorf("%s: input %d: Decode gives %q, want the input %q", pkg, i, g.Decoded[i], in)
					ok = false
				}
			case tokenizer.ModelBPE:
				if g.Texts[i] != in {
					t.Errorf("%s: input %d: the token texts join to %q, want the input %q", pkg, i, g.Texts[i], in)
					ok = false
				}
			}
			if ok {
				pass++
			}
		}
		t.Logf("%s (%s): %d/%d vectors", pkg, w.tok.Model(), pass, len(w.inputs))
		if !strings.Contains(g.BadDecode, strconv.Itoa(w.tok.Len())) {
			t.Errorf("%s: Decode of id %d: error %q", pkg, w.tok.Len(), g.BadDecode)
		}
		if !slices.Equal(g.Generated, w.generate) {
			t.Errorf("%s: Generate gives %v, the runtime in process %v", pkg, g.Generated, w.generate)
		}
	}
}

// TestUnsupportedTokenizer: a GGUF file whose tokenizer model or BPE
// pre-tokenizer kiln does not know is refused at compile time, naming it.
func TestUnsupportedTokenizer(t *testing.T) {
	for _, c := range []struct {
		vocab, key, value, want string
	}{
		{"llama-spm", "tokenizer.ggml.model", "rwkv", `unsupported tokenizer model "rwkv"`},
		{"gpt-2", "tokenizer.ggml.pre", "no-such-pre", `unsupported BPE pre-tokenizer "no-such-pre"`},
	} {
		path := vocabModel(t, llamaref.VectorVocab(t, c.vocab), map[string]any{c.key: c.value})
		_, err := Compile(path, Options{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s with %s = %q: error %v, want one saying %s", c.vocab, c.key, c.value, err, c.want)
		}
	}
}
