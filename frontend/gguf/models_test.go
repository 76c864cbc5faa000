package gguf

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kiln-ml/kiln/internal/testenv"
	"github.com/kiln-ml/kiln/ir/quant"
)

// sharedGGUFs returns the GGUF files of ../shared: the models and the
// tokenizer test vocabularies.
func sharedGGUFs(t testing.TB) []string {
	var paths []string
	for _, dir := range [][]string{{"models", "gguf"}, {"models", "data", "tokenizer-tests"}} {
		d, ok := testenv.Shared(dir...)
		if !ok {
			continue
		}
		p, _ := filepath.Glob(filepath.Join(d, "*.gguf"))
		paths = append(paths, p...)
	}
	return paths
}

// TestSharedFiles opens every shared GGUF file and checks that the tensor
// table accounts for the whole file: the data section is exactly the
// tensors' bytes, each padded to the alignment, laid out in table order;
// a vocabulary-only file ends within one alignment of its header.
func TestSharedFiles(t *testing.T) {
	paths := sharedGGUFs(t)
	if len(paths) == 0 {
		t.Skip("no shared GGUF files")
	}
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			st, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			f, err := Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if f.Size != st.Size() || f.Version != 3 || f.Alignment != 32 {
				t.Errorf("size %d (stat %d), version %d, alignment %d", f.Size, st.Size(), f.Version, f.Alignment)
			}
			if arch, ok := f.String("general.architecture"); !ok || arch == "" {
				t.Errorf("general.architecture: %q %v", arch, ok)
			}
			if len(f.Tensors) == 0 {
				if pad := f.DataOffset - f.Size; pad < 0 || pad >= f.Alignment {
					t.Errorf("no tensors, yet the header ends %d bytes before the data section", pad)
				}
				if toks, ok := f.Strings("tokenizer.ggml.tokens"); !ok || len(toks) == 0 {
					t.Errorf("vocabulary file without tokenizer.ggml.tokens")
				}
				return
			}
			var total, next int64
			for i := range f.Tensors {
				ti := &f.Tensors[i]
				if ti.Offset != next {
					t.Errorf("tensor %q at %d, want %d", ti.Name, ti.Offset, next)
				}
				info, _ := quant.Info(ti.Type)
				if want := ti.Elements() / int64(info.BlockLen) * int64(info.BlockBytes); ti.Bytes != want {
					t.Errorf("tensor %q: %d bytes, want %d", ti.Name, ti.Bytes, want)
				}
				b, err := f.TensorData(ti)
				if err != nil || int64(len(b)) != ti.Bytes {
					t.Errorf("tensor %q: TensorData %d bytes, %v", ti.Name, len(b), err)
				}
				padded := (ti.Bytes + f.Alignment - 1) / f.Alignment * f.Alignment
				total += padded
				next += padded
			}
			if total != f.Size-f.DataOffset {
				t.Errorf("tensors take %d padded bytes, the data section %d", total, f.Size-f.DataOffset)
			}
		})
	}
}

// TestStoriesMetadata checks stories260K-f32's metadata against its
// provenance notes: dim 64, 5 layers, 8 heads, 4 kv heads, vocabulary 512,
// context 128, token types.
func TestStoriesMetadata(t *testing.T) {
	p, ok := testenv.Shared("models", "gguf", "stories260K-f32.gguf")
	if !ok {
		t.Skip("no shared folder")
	}
	if _, err := os.Stat(p); err != nil {
		t.Skip(err)
	}
	f, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for key, want := range map[string]uint64{
		"llama.embedding_length":          64,
		"llama.block_count":               5,
		"llama.attention.head_count":      8,
		"llama.attention.head_count_kv":   4,
		"llama.context_length":            128,
		"tokenizer.ggml.padding_token_id": 4294967295,
	} {
		if got, ok := f.Uint(key); !ok || got != want {
			t.Errorf("%s = %d (%v), want %d", key, got, ok, want)
		}
	}
	toks, _ := f.Strings("tokenizer.ggml.tokens")
	types, _ := f.Int32s("tokenizer.ggml.token_type")
	scores, _ := f.Float32s("tokenizer.ggml.scores")
	if len(toks) != 512 || len(types) != 512 || len(scores) != 512 {
		t.Fatalf("vocabulary: %d tokens, %d types, %d scores", len(toks), len(types), len(scores))
	}
	if toks[0] != "<unk>" || types[0] != 2 || toks[1] != "<s>" || types[1] != 3 || toks[3] != "<0x00>" || types[3] != 6 || types[300] != 1 {
		t.Errorf("vocabulary starts %q", toks[:4])
	}
	te, ok := f.Tensor("token_embd.weight")
	if !ok || te.Type != quant.F32 || !slices.Equal(te.Dims, []uint64{64, 512}) {
		t.Errorf("token_embd.weight: %+v", te)
	}
}

// TestNotRegular refuses a folder, a device and a named pipe without
// blocking on them.
func TestNotRegular(t *testing.T) {
	paths := map[string]string{"folder": t.TempDir()}
	if runtime.GOOS != "windows" {
		if _, err := os.Stat("/dev/zero"); err == nil {
			paths["device"] = "/dev/zero"
		}
		fifo := filepath.Join(t.TempDir(), "fifo.gguf")
		if err := mkfifo(fifo); err == nil {
			paths["fifo"] = fifo
		}
	}
	for what, p := range paths {
		done := make(chan error, 1)
		go func() {
			f, err := Open(p)
			if err == nil {
				f.Close()
			}
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "not a regular file") {
				t.Errorf("%s: %v", what, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: Open blocked", what)
		}
	}
}
