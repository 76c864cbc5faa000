package ir

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// hashesDuring returns how many constant hashes f computed.
func hashesDuring(f func()) int64 {
	before := constHashes.Load()
	f()
	return constHashes.Load() - before
}

func TestConstantSHA256Cached(t *testing.T) {
	data := bytes.Repeat([]byte{1, 2, 3, 4}, 1<<18) // 1 MiB
	m := &Module{}
	k := &Constant{Bytes: data, Source: &Source{Path: "w.bin", Length: int64(len(data))}}
	m.AddConst("w", TensorType(U8, ShapeOf(int64(len(data)))), k)
	want := sha256.Sum256(data)

	var texts [3]string
	n := hashesDuring(func() {
		for i := range texts {
			texts[i] = m.String()
		}
	})
	if n != 1 {
		t.Errorf("printing 3 times hashed the constant %d times, want 1", n)
	}
	wantText := fmt.Sprintf("sha256=%q", hex.EncodeToString(want[:]))
	for i, s := range texts {
		if !strings.Contains(s, wantText) {
			t.Errorf("print %d: no %s in\n%s", i, wantText, s)
		}
	}
	if got := k.SHA256(); got != want {
		t.Errorf("SHA256() = %x, want %x", got, want)
	}

	// New bytes invalidate the cache, even of the same length.
	other := bytes.Repeat([]byte{9}, len(data))
	k.Bytes = other
	var got [sha256.Size]byte
	if n := hashesDuring(func() { got = k.SHA256() }); n != 1 || got != sha256.Sum256(other) {
		t.Errorf("after new Bytes: %d hashes, sum %x; want 1 hash, %x", n, got, sha256.Sum256(other))
	}
	// So does a shorter slice of the same memory.
	k.Bytes = other[:10]
	if got := k.SHA256(); got != sha256.Sum256(other[:10]) {
		t.Errorf("after reslicing: sum %x, want %x", got, sha256.Sum256(other[:10]))
	}
	empty := &Constant{}
	if got := empty.SHA256(); got != sha256.Sum256(nil) {
		t.Errorf("empty constant: sum %x, want %x", got, sha256.Sum256(nil))
	}
}

func TestConstantSHA256Concurrent(t *testing.T) {
	k := &Constant{Bytes: bytes.Repeat([]byte{7}, 1<<16)}
	want := sha256.Sum256(k.Bytes)
	n := hashesDuring(func() {
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if got := k.SHA256(); got != want {
					t.Errorf("SHA256() = %x, want %x", got, want)
				}
			}()
		}
		wg.Wait()
	})
	if n != 1 {
		t.Errorf("8 concurrent calls hashed %d times, want 1", n)
	}
}

// A parsed file(...) constant keeps the sum the parser verified: reprinting
// the parsed module hashes nothing again.
func TestParsedConstantSHA256Reused(t *testing.T) {
	dir := t.TempDir()
	data := bytes.Repeat([]byte{0, 0, 0x80, 0x3f}, 64)
	if err := os.WriteFile(filepath.Join(dir, "w.bin"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	src := fmt.Sprintf("const @w : f32[64] = file(\"w.bin\", offset=0, length=%d, sha256=%q)\n", len(data), hex.EncodeToString(sum[:]))
	var m *Module
	var err error
	m, err = Parse("m.kir", []byte(src), ParseOptions{BaseDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	var out bytes.Buffer
	if n := hashesDuring(func() { err = Print(&out, m, PrintOptions{BaseDir: dir}) }); n != 0 || err != nil {
		t.Errorf("printing a parsed module: %d hashes, error %v; want none", n, err)
	}
	if !strings.Contains(out.String(), src) {
		t.Errorf("reprint:\n%s\nwant it to contain:\n%s", out.String(), src)
	}
}
