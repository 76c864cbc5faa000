package llmgen

import (
	"bytes"
	"fmt"
	"go/format"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/kiln-ml/kiln/codegen/llmrt"
	"github.com/kiln-ml/kiln/internal/llamaref"
	"github.com/kiln-ml/kiln/internal/testenv"
	"github.com/kiln-ml/kiln/targets"
)

// sharedGGUF lists the GGUF files of ../shared/models/gguf.
func sharedGGUF(t *testing.T) []string {
	dir, ok := testenv.Shared("models", "gguf")
	if !ok {
		t.Skip("no shared GGUF files")
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.gguf"))
	if err != nil || len(files) == 0 {
		t.Skip("no shared GGUF files")
	}
	sort.Strings(files)
	return files
}

// pkgName is a Go package name for a GGUF file name.
func pkgName(file string) string {
	var b strings.Builder
	b.WriteString("m_")
	for _, r := range strings.TrimSuffix(filepath.Base(file), ".gguf") {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// TestGeneratedPackages compiles every shared GGUF file into a package,
// builds them all into one program with the Go toolchain (go vet clean)
// and runs it: each package's greedy continuation of a prompt and its
// first logits must be the in-process runtime's exactly (the same code,
// carried into the package), and the stories260K files' greedy ids are
// llama.cpp's. Every generated Go file is gofmt-clean, and a second
// compile gives the same bytes. A --weights file package's Load reads
// weights.bin and refuses another file. Without KILN_LONG=1 the 58M-parameter
// model is left out (its 40 MB blob slows the build).
func TestGeneratedPackages(t *testing.T) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	var ref llamaref.Greedy
	llamaref.Read(t, "llamacpp-greedy.json", &ref)
	files := sharedGGUF(t)
	dir := t.TempDir()
	const prompt, n = "Once upon a time", 12
	var imports strings.Builder
	want := map[string]string{}
	for _, path := range files {
		base := filepath.Base(path)
		if strings.HasPrefix(base, "llama58m") && os.Getenv("KILN_LONG") == "" {
			continue
		}
		name := pkgName(path)
		opts := Options{Package: name, Context: 64, KilnVersion: "test"}
		p, err := Compile(path, opts)
		if err != nil {
			t.Fatalf("%s: %v", base, err)
		}
		checkFiles(t, path, opts, p)
		writePackage(t, dir, name, p)
		fmt.Fprintf(&imports, "\t%q\n", "gen/"+name)

		// The in-process runtime over the same layout.
		m, _ := planModel(t, base, opts)
		var line strings.Builder
		ids, err := m.Generate(prompt, llmrt.GenerateOptions{MaxTokens: n}, nil)
		if err != nil {
			t.Fatal(err)
		}
		logits, err := m.NewSession().Prefill(m.Encode(prompt, true))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&line, "%v %v %016x", ids, logits[:4], digest(logits))
		want[name] = line.String()
		if r, ok := ref.Models[base]; ok && r.MinMargin >= 0.01 {
			for i, id := range ids {
				if id != r.GeneratedIDs[i] {
					t.Errorf("%s: greedy ids %v, llama.cpp %v", base, ids, r.GeneratedIDs[:n])
					break
				}
			}
		}
	}
	// Each package has its own types, so main calls each through a
	// generated switch.
	var body strings.Builder
	body.WriteString("package main\n\nimport (\n\t\"fmt\"\n\t\"math\"\n\t\"os\"\n\n" + imports.String() + "\t\"gen/m_file\"\n)\n\n")
	body.WriteString(digestSource)
	body.WriteString("func main() {\n\tfor _, name := range os.Args[1:] {\n\t\tswitch name {\n")
	for _, path := range files {
		name := pkgName(path)
		if _, ok := want[name]; !ok {
			continue
		}
		fmt.Fprintf(&body, "\t\tcase %q:\n\t\t\tm, err := %s.New()\n\t\t\tif err != nil {\n\t\t\t\tpanic(err)\n\t\t\t}\n", name, name)
		fmt.Fprintf(&body, "\t\t\tids, err := m.Generate(%q, %s.GenerateOptions{MaxTokens: %d}, nil)\n\t\t\tif err != nil {\n\t\t\t\tpanic(err)\n\t\t\t}\n", prompt, name, n)
		fmt.Fprintf(&body, "\t\t\tlogits, err := m.NewSession().Prefill(m.Encode(%q, true))\n\t\t\tif err != nil {\n\t\t\t\tpanic(err)\n\t\t\t}\n", prompt)
		body.WriteString("\t\t\tfmt.Printf(\"%s %v %v %016x\\n\", name, ids, logits[:4], digest(logits))\n")
	}
	// A --weights file package: Load reads weights.bin and refuses a
	// file that is not it.
	if path, ok := testenv.Shared("models", "gguf", "stories260K-q8_0.gguf"); ok {
		p, err := Compile(path, Options{Package: "m_file", Context: 64, WeightsFile: true, KilnVersion: "test"})
		if err != nil {
			t.Fatal(err)
		}
		writePackage(t, dir, "m_file", p)
		body.WriteString("\t\tcase \"m_file\":\n\t\t\tif _, err := m_file.Load(\"go.mod\"); err == nil {\n\t\t\t\tpanic(\"Load took go.mod\")\n\t\t\t}\n")
		body.WriteString("\t\t\tm, err := m_file.Load(\"m_file/weights.bin\")\n\t\t\tif err != nil {\n\t\t\t\tpanic(err)\n\t\t\t}\n")
		fmt.Fprintf(&body, "\t\t\tids, err := m.Generate(%q, m_file.GenerateOptions{MaxTokens: %d}, nil)\n\t\t\tif err != nil {\n\t\t\t\tpanic(err)\n\t\t\t}\n\t\t\tfmt.Println(name, ids)\n", prompt, n)
		if w, ok := want[pkgName(path)]; ok {
			ids, _, _ := strings.Cut(w, "] ")
			want["m_file"] = ids + "]"
		}
	}
	body.WriteString("\t\t}\n\t}\n}\n")
	buildProgram(t, goCmd, dir, body.String())
	names := make([]string, 0, len(want))
	for name := range want {
		names = append(names, name)
	}
	sort.Strings(names)
	check := func(build string, cmd *exec.Cmd) {
		t.Helper()
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("running the generated packages (%s): %v\n%s", build, err, out)
		}
		got := map[string]string{}
		for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			name, rest, _ := strings.Cut(l, " ")
			got[name] = rest
		}
		for _, name := range names {
			if got[name] != want[name] {
				t.Errorf("%s: the generated package built %s gives %q, the runtime in process %q", name, build, got[name], want[name])
			}
		}
	}
	check("for this machine", exec.Command(filepath.Join(dir, programName), names...))
	// The same results on every platform the packages build for: Go may
	// fuse a multiply and an add into one FMA on arm64 and with
	// GOAMD64=v3, which the runtime's arithmetic must not allow to change
	// a result.
	if runtime.GOARCH == "amd64" && cpuHasV3() {
		bin := crossProgram(t, goCmd, dir, "GOAMD64=v3")
		check("with GOAMD64=v3", exec.Command(bin, names...))
		bin = crossProgram(t, goCmd, dir, "GOAMD64=v3", "GOEXPERIMENT=simd")
		check("with GOAMD64=v3 GOEXPERIMENT=simd (the vector kernels)", exec.Command(bin, names...))
	} else {
		t.Logf("not an amd64 processor with AVX2, FMA and BMI2: the GOAMD64=v3 builds are not run")
	}
	if qemu, err := exec.LookPath("qemu-aarch64-static"); err == nil {
		bin := crossProgram(t, goCmd, dir, "GOARCH=arm64")
		check("for linux/arm64 under qemu", exec.Command(qemu, append([]string{bin}, names...)...))
	} else if os.Getenv("KILN_REQUIRE_QEMU") == "1" {
		t.Fatal("KILN_REQUIRE_QEMU=1 but qemu-aarch64-static is not on PATH (Debian package qemu-user-static; make deps-test installs it)")
	} else {
		t.Logf("qemu-aarch64-static not on PATH: the linux/arm64 build is not run")
	}
}

// digestSource is digest in the generated test program.
const digestSource = `// digest hashes the bits of x (FNV-1a over the float32 bit patterns).
func digest(x []float32) uint64 {
	h := uint64(14695981039346656037)
	for _, v := range x {
		h = (h ^ uint64(math.Float32bits(v))) * 1099511628211
	}
	return h
}

`

// digest hashes the bits of x as the generated test program does.
func digest(x []float32) uint64 {
	h := uint64(14695981039346656037)
	for _, v := range x {
		h = (h ^ uint64(math.Float32bits(v))) * 1099511628211
	}
	return h
}

// cpuHasV3 reports whether this Linux machine's processor has the
// x86-64-v3 features a GOAMD64=v3 program checks for at start (AVX2, FMA,
// BMI1/2, LZCNT (abm), MOVBE, F16C).
func cpuHasV3() bool {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return false
	}
	_, rest, _ := strings.Cut(string(b), "\nflags")
	line, _, _ := strings.Cut(rest, "\n")
	flags := strings.Fields(line)
	for _, f := range []string{"avx2", "fma", "bmi1", "bmi2", "abm", "movbe", "f16c"} {
		if !slices.Contains(flags, f) {
			return false
		}
	}
	return true
}

// crossProgram builds the program in dir again with the environment
// settings env (GOARCH, GOAMD64, GOEXPERIMENT) and returns its path.
func crossProgram(t *testing.T, goCmd, dir string, env ...string) string {
	t.Helper()
	bin := filepath.Join(dir, programName+"-"+strings.NewReplacer("=", "-", " ", "-").Replace(strings.Join(env, "-")))
	cmd := exec.Command(goCmd, "build", "-o", bin, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), append([]string{"GOFLAGS=-mod=mod", "GOWORK=off", "GOTOOLCHAIN=local", "GOPROXY=off", "CGO_ENABLED=0"}, env...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", strings.Join(env, " "), err, out)
	}
	return bin
}

// writePackage writes p's files into the folder dir/name.
func writePackage(t *testing.T, dir, name string, p *Package) {
	t.Helper()
	pd := filepath.Join(dir, name)
	if err := os.MkdirAll(pd, 0o777); err != nil {
		t.Fatal(err)
	}
	for f, b := range p.Files {
		if err := os.WriteFile(filepath.Join(pd, f), b, 0o666); err != nil {
			t.Fatal(err)
		}
	}
}

// programName is the executable buildProgram writes.
const programName = "gen"

// buildProgram writes main (a main package importing the packages under
// dir as "gen/NAME") and a go.mod in dir, vets everything (failing on any
// finding) and builds dir/programName, offline and without cgo.
func buildProgram(t *testing.T, goCmd, dir, main string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(main), 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module gen\n\ngo 1.22\n"), 0o666); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off", "GOTOOLCHAIN=local", "GOPROXY=off", "CGO_ENABLED=0")
	for _, args := range [][]string{{"vet", "./..."}, {"build", "-o", programName, "."}} {
		cmd := exec.Command(goCmd, args...)
		cmd.Dir, cmd.Env = dir, env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// checkFiles checks the package p that Compile(path, opts) returned: a
// second compile gives the same bytes, and every Go file is gofmt-clean
// and starts with the header naming the source.
func checkFiles(t *testing.T, path string, opts Options, p *Package) {
	t.Helper()
	base := filepath.Base(path)
	again, err := Compile(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(p.FileNames()) != fmt.Sprint(again.FileNames()) {
		t.Fatalf("%s: two compiles wrote %v and %v", base, p.FileNames(), again.FileNames())
	}
	for _, f := range p.FileNames() {
		if !bytes.Equal(p.Files[f], again.Files[f]) {
			t.Errorf("%s: %s differs between two compiles", base, f)
		}
		if strings.HasSuffix(f, ".go") {
			if !bytes.HasPrefix(p.Files[f], []byte(GeneratedHeader+"\n//\n// Source: "+base+" (sha256 ")) {
				t.Errorf("%s: %s lacks the header naming the source", base, f)
			}
			if got, err := format.Source(p.Files[f]); err != nil || !bytes.Equal(got, p.Files[f]) {
				t.Errorf("%s: %s is not gofmt-clean (%v)", base, f, err)
			}
		}
	}
}

// TestManifestTarget checks the manifest's target and build: a profile's
// name and GOAMD64, its thread count when it names one and one for
// "one per CPU" (0), and GOEXPERIMENT=simd for the vector kernels.
func TestManifestTarget(t *testing.T) {
	path, ok := testenv.Shared("models", "gguf", "stories260K-q8_0.gguf")
	if !ok {
		t.Skip("no shared GGUF files")
	}
	v3, err := targets.Lookup("x86-64-v3")
	if err != nil {
		t.Fatal(err)
	}
	four := *v3
	four.Name, four.Threads = "four", 4
	for _, c := range []struct {
		prof *targets.Profile
		want Build
		name string
	}{
		{nil, Build{Threads: 1, GOEXPERIMENT: "simd"}, ""},
		{v3, Build{Threads: max(v3.Threads, 1), GOEXPERIMENT: "simd", GOAMD64: v3.GOAMD64}, "x86-64-v3"},
		{&four, Build{Threads: 4, GOEXPERIMENT: "simd", GOAMD64: v3.GOAMD64}, "four"},
	} {
		p, err := Compile(path, Options{Package: "m", Context: 32, KilnVersion: "test", Target: c.prof})
		if err != nil {
			t.Fatal(err)
		}
		if m := p.Manifest; m.Build != c.want || m.Target != c.name || m.Config.Threads != c.want.Threads {
			t.Errorf("target %q: manifest target %q, build %+v, config threads %d; want %q, %+v", c.name, m.Target, m.Build, m.Config.Threads, c.name, c.want)
		}
	}
}
