package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// bigKir is a module with a constant large enough to go to a data file.
const bigKir = `const @big : f32[20] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]
func @main(%x "x": f32[20]) -> ("y": f32[20]) {
  %y = Add(%x, @big) : f32[20]
  return %y
}
`

// writeFile writes s to dir/name and returns the path.
func writeFile(t *testing.T, dir, name, s string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// dumpedKir writes bigKir, dumps it to dir/m.kir with dir/m.data and
// returns both paths.
func dumpedKir(t *testing.T, dir string) (kir, data string) {
	t.Helper()
	in := writeFile(t, dir, "in.kir", bigKir)
	kir, data = filepath.Join(dir, "m.kir"), filepath.Join(dir, "m.data")
	if code, _, stderr := runCLI("dump", "-o", kir, "--data-out", data, in); code != exitOK {
		t.Fatalf("dump: exit %d: %s", code, stderr)
	}
	return kir, data
}

// Outputs that are inputs (the model, the data file a .kir refers to, a
// symlink or hard link to either, each other) are refused before anything
// is written.
func TestDumpRefusesOverwritingInputs(t *testing.T) {
	dir := t.TempDir()
	kir, data := dumpedKir(t, dir)
	os.Symlink(kir, filepath.Join(dir, "link.kir"))
	os.Link(data, filepath.Join(dir, "hard.data"))
	kirBytes, _ := os.ReadFile(kir)
	dataBytes, _ := os.ReadFile(data)
	for _, tt := range [][]string{
		{"--data-out", kir, kir},
		{"--data-out", data, kir},
		{"--data-out", filepath.Join(dir, "hard.data"), kir},
		{"-o", kir, kir},
		{"-o", filepath.Join(dir, "link.kir"), kir},
		{"-o", data, kir},
		{"-o", filepath.Join(dir, "x.kir"), "--data-out", filepath.Join(dir, "x.kir"), kir},
	} {
		code, _, stderr := runCLI(append([]string{"dump"}, tt...)...)
		if code != exitFailure || !strings.Contains(stderr, "refusing to overwrite an input") && !strings.Contains(stderr, "given as two outputs") {
			t.Errorf("dump %q: exit %d, stderr %q; want a refusal", tt, code, stderr)
		}
	}
	if b, _ := os.ReadFile(kir); string(b) != string(kirBytes) {
		t.Errorf("the model changed")
	}
	if b, _ := os.ReadFile(data); string(b) != string(dataBytes) {
		t.Errorf("the data file changed")
	}
	if _, err := os.Stat(filepath.Join(dir, "x.kir")); err == nil {
		t.Errorf("x.kir was written")
	}
}

// A new file gets the mode os.Create gives (0666 minus the umask), not the
// 0600 of a temporary file.
func TestDumpNewFileMode(t *testing.T) {
	dir := t.TempDir()
	kir, data := dumpedKir(t, dir)
	ref := filepath.Join(dir, "ref")
	f, err := os.Create(ref)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	want, _ := os.Stat(ref)
	for _, p := range []string{kir, data} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode() != want.Mode() {
			t.Errorf("%s: mode %v, os.Create gives %v", filepath.Base(p), st.Mode(), want.Mode())
		}
	}
}

// The text `kiln dump` prints to stdout loads wherever it is saved: its
// file references are absolute.
func TestDumpStdoutLoadsAnywhere(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "in.kir", bigKir)
	t.Chdir(dir)
	code, text, stderr := runCLI("dump", "--data-out", "rel.data", "in.kir")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(text, `file("`+filepath.ToSlash(filepath.Join(dir, "rel.data"))+`"`) {
		t.Errorf("dump to stdout does not name the data file by its absolute path:\n%s", text)
	}
	other := t.TempDir()
	saved := writeFile(t, other, "saved.kir", text)
	if code, _, stderr := runCLI("fmt", saved); code != exitOK {
		t.Errorf("the saved dump does not load: %s", stderr)
	}
	_ = in
}

// formatted returns bigKir as kiln fmt prints it.
func formatted(t *testing.T) string {
	t.Helper()
	p := writeFile(t, t.TempDir(), "f.kir", bigKir)
	code, out, stderr := runCLI("fmt", p)
	if code != exitOK || out == bigKir {
		t.Fatalf("fmt: exit %d, %s; output:\n%s", code, stderr, out)
	}
	return out
}

// fmt -w rewrites through a symlink (the link stays a link) and keeps the
// file's mode.
func TestFmtWriteKeepsLinkAndMode(t *testing.T) {
	dir := t.TempDir()
	// Unformatted: extra spaces and a blank line.
	p := writeFile(t, dir, "a.kir", bigKir)
	os.Chmod(p, 0o640)
	link := filepath.Join(dir, "link.kir")
	os.Symlink("a.kir", link)
	if code, _, stderr := runCLI("fmt", "-w", link); code != exitOK {
		t.Fatalf("fmt -w: exit %d: %s", code, stderr)
	}
	if st, _ := os.Lstat(link); st.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link became a %v", st.Mode())
	}
	st, _ := os.Stat(p)
	if st.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want 0640", st.Mode().Perm())
	}
	if b, _ := os.ReadFile(p); string(b) != formatted(t) {
		t.Errorf("fmt -w wrote:\n%s", b)
	}
}

func TestFmtListDiffStdin(t *testing.T) {
	dir := t.TempDir()
	want := formatted(t)
	good := writeFile(t, dir, "good.kir", want)
	bad := writeFile(t, dir, "bad.kir", strings.Replace(want, "Add(", "Add  (", 1))
	code, stdout, stderr := runCLI("fmt", "-l", good, bad)
	if code != exitOK || stdout != bad+"\n" {
		t.Errorf("fmt -l: exit %d, stdout %q, want %q\n%s", code, stdout, bad+"\n", stderr)
	}
	code, stdout, _ = runCLI("fmt", "-d", bad)
	if code != exitOK || !strings.Contains(stdout, "\n-"+strings.Split(strings.Replace(want, "Add(", "Add  (", 1), "\n")[5]+"\n+"+strings.Split(want, "\n")[5]+"\n") {
		t.Errorf("fmt -d: exit %d, diff:\n%s", code, stdout)
	}
	if _, stdout, _ := runCLI("fmt", "-d", good); stdout != "" {
		t.Errorf("fmt -d of a formatted file printed %q", stdout)
	}
	stdin = strings.NewReader(bigKir)
	defer func() { stdin = os.Stdin }()
	code, stdout, stderr = runCLI("fmt", "-")
	if code != exitOK || stdout != want {
		t.Errorf("fmt -: exit %d, stdout:\n%s\nstderr: %s", code, stdout, stderr)
	}
	for _, args := range [][]string{{"-w", "-"}, {"-", good}, {"-l", "-d", good}} {
		if code, _, _ := runCLI(append([]string{"fmt"}, args...)...); code != exitUsage {
			t.Errorf("fmt %q: exit %d, want usage", args, code)
		}
	}
}
