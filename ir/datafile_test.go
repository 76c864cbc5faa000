//go:build unix

package ir

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fileRefModule is a module with one f32[20] constant read from path.
func fileRefModule(path string) string {
	return fmt.Sprintf(`const @w : f32[20] = file(%q, offset=0, length=80, sha256="%s")
func @main(%%x "x": f32[20]) -> ("y": f32[20]) {
  %%y = Add(%%x, @w) : f32[20]
  return %%y
}
`, path, strings.Repeat("0", 64))
}

// A file() reference whose sha256 does not match is refused without
// printing the hash of the bytes read: the message must not turn file()
// into a way of learning digests of files the user cannot see.
func TestParseFileMismatchHidesHash(t *testing.T) {
	dir := t.TempDir()
	secret := make([]byte, 80)
	copy(secret, "secret bytes of some other file")
	p := filepath.Join(dir, "other.bin")
	os.WriteFile(p, secret, 0o600)
	_, err := Parse("s.kir", []byte(fileRefModule(p)), ParseOptions{})
	if err == nil || !strings.Contains(err.Error(), "sha256 mismatch") {
		t.Fatalf("got %v, want a sha256 mismatch", err)
	}
	sum := sha256.Sum256(secret)
	for _, leak := range []string{hex.EncodeToString(sum[:]), hex.EncodeToString(sum[:4]), "secret"} {
		if strings.Contains(err.Error(), leak) {
			t.Errorf("error %q shows %q", err, leak)
		}
	}
}

// A file() reference to a named pipe or a folder is refused at once.
func TestParseFileRefusesNonRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	for _, tc := range []struct{ path, want string }{
		{fifo, "a named pipe"},
		{dir, "a folder"},
	} {
		done := make(chan error, 1)
		go func() {
			_, err := Parse("s.kir", []byte(fileRefModule(tc.path)), ParseOptions{})
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: got %v, want an error naming %s", tc.path, err, tc.want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: Parse blocks", tc.path)
		}
	}
}
