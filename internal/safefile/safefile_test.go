//go:build unix

package safefile

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestOpenRefusesNonRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	reg := filepath.Join(dir, "reg")
	os.WriteFile(reg, []byte("hello"), 0o644)
	link := filepath.Join(dir, "link-to-fifo")
	os.Symlink(fifo, link)
	tests := []struct {
		path, want string
	}{
		{fifo, "not a regular file (a named pipe)"},
		{link, "not a regular file (a named pipe)"},
		{dir, "not a regular file (a folder)"},
		{"/dev/null", "not a regular file (a character device)"},
		{filepath.Join(dir, "missing"), "no such file"},
	}
	for _, tt := range tests {
		done := make(chan error, 1)
		go func() {
			_, err := ReadFile(tt.path)
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ReadFile(%s): error %v, want one containing %q", tt.path, err, tt.want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("ReadFile(%s) blocks", tt.path)
		}
	}
	b, err := ReadFile(reg)
	if err != nil || string(b) != "hello" {
		t.Errorf("ReadFile(regular) = %q, %v", b, err)
	}
}

func TestWriteFileKeepsModeAndLinks(t *testing.T) {
	dir := t.TempDir()
	// An existing file keeps its mode.
	p := filepath.Join(dir, "a.kir")
	os.WriteFile(p, []byte("old"), 0o640)
	os.Chmod(p, 0o640) // whatever the umask
	if err := WriteFile(p, []byte("new")); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(p); st.Mode().Perm() != 0o640 {
		t.Errorf("mode after rewrite %v, want 0640", st.Mode().Perm())
	}
	// A new file gets what os.Create gives.
	ref := filepath.Join(dir, "ref")
	f, _ := os.Create(ref)
	f.Close()
	n := filepath.Join(dir, "new.kir")
	if err := WriteFile(n, []byte("x")); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(n)
	want, _ := os.Stat(ref)
	if st.Mode() != want.Mode() {
		t.Errorf("new file mode %v, os.Create gives %v", st.Mode(), want.Mode())
	}
	// Writing through a symlink replaces its target and keeps the link.
	link := filepath.Join(dir, "link.kir")
	os.Symlink("a.kir", link)
	if err := WriteFile(link, []byte("via link")); err != nil {
		t.Fatal(err)
	}
	if lst, _ := os.Lstat(link); lst.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the symlink was replaced by a %v", lst.Mode())
	}
	if b, _ := os.ReadFile(p); string(b) != "via link" {
		t.Errorf("target holds %q", b)
	}
	// No temporary files are left behind.
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("left over %s", e.Name())
		}
	}
	// A folder is not overwritten.
	if err := WriteFile(dir, []byte("x")); err == nil || !strings.Contains(err.Error(), "a folder") {
		t.Errorf("WriteFile(folder): %v", err)
	}
}

func TestAbortLeavesTarget(t *testing.T) {
	p := filepath.Join(t.TempDir(), "keep")
	os.WriteFile(p, []byte("keep"), 0o644)
	f, err := Create(p)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("partial"))
	f.Abort()
	if b, _ := os.ReadFile(p); string(b) != "keep" {
		t.Errorf("target holds %q after Abort", b)
	}
	if err := f.Commit(); err == nil {
		t.Error("Commit after Abort succeeded")
	}
}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "model.onnx")
	os.WriteFile(model, []byte("m"), 0o644)
	link := filepath.Join(dir, "link")
	os.Symlink(model, link)
	hard := filepath.Join(dir, "hard")
	os.Link(model, hard)
	other := filepath.Join(dir, "other")
	os.WriteFile(other, []byte("o"), 0o644)
	tests := []struct {
		out  string
		fail bool
	}{
		{model, true},
		{link, true},
		{hard, true},
		{filepath.Join(dir, ".", "model.onnx"), true},
		{other, false},
		{filepath.Join(dir, "new"), false},
	}
	for _, tt := range tests {
		err := Check(tt.out, "", model)
		if (err != nil) != tt.fail {
			t.Errorf("Check(%s): %v, want failure %v", tt.out, err, tt.fail)
		}
	}
}
