package targets

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBuiltinProfiles(t *testing.T) {
	ps := Builtin()
	want := []string{"arm64-cortex-a55", "arm64-cortex-a76", "board-512mb", "generic", "wasm", "x86-64-v3"}
	var got []string
	for _, p := range ps {
		got = append(got, p.Name)
		if p.Summary == "" || p.Arch == "" || p.Passes == "" || len(p.DTypes) == 0 || p.L1D == 0 {
			t.Errorf("%s: incomplete profile %+v", p.Name, p)
		}
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("built-in profiles %v, want %v", got, want)
	}
	p, err := Lookup("board-512mb")
	if err != nil || p.RAMBudget != 256<<20 || p.Dims["seq"] != 256 || p.Arch != "arm64" {
		t.Errorf("board-512mb: %+v, %v", p, err)
	}
	if p, _ := Lookup("x86-64-v3"); p.GOAMD64 != "v3" || p.Threads != 0 || p.RAMBudget != 0 {
		t.Errorf("x86-64-v3: %+v", p)
	}
}

func TestLookupErrors(t *testing.T) {
	_, err := Lookup("x86-64-v4")
	if err == nil || !strings.Contains(err.Error(), `unknown target "x86-64-v4" (did you mean "x86-64-v3"?)`) {
		t.Errorf("got %v", err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "mine.target")
	os.WriteFile(path, []byte("name mine\narch arm64\npasses noop,dce\nram-budget 64MiB\n"), 0o644)
	p, err := Lookup(path)
	if err != nil || p.Name != "mine" || p.RAMBudget != 64<<20 || p.Source != path {
		t.Errorf("user profile: %+v, %v", p, err)
	}
	if _, err := Lookup(dir + string(os.PathSeparator)); err == nil {
		t.Error("a folder was read as a profile")
	}
}

func TestParseErrors(t *testing.T) {
	base := "name t\narch amd64\npasses default\n"
	for _, c := range []struct{ src, want string }{
		{base + "thread 4\n", `t.target:4: unknown key "thread" (did you mean "threads"?)`},
		{base + "arch arm64\n", "t.target:4: arch: given again (first on line 2)"},
		{base + "l2 big\n", `t.target:4: l2: "big": want a size such as 32KiB`},
		{base + "l2 99999999999999999GiB\n", `want a size such as 32KiB`},
		{base + "ram-budget -1MiB\n", `want a size such as 512MiB, or none`},
		{"name t\narch arm64\npasses default\ngoamd64 v3\n", "t.target:4: goamd64: only for arch amd64, not arm64"},
		{"arch amd64\npasses default\n", "t.target: no name (required)"},
		{base + "dtypes f32 f33\n", `t.target:4: dtypes: unknown element type "f33"`},
		{"name t\narch amd64\npasses noop,dcee\n", `t.target:3: passes: unknown pass "dcee" (did you mean "dce"?)`},
		{base + "dim seq<=0\n", `t.target:4: dim: "seq<=0": want NAME<=N with N at least 1`},
		{base + "dim seq<=4 seq<=8\n", "dim seq bounded twice"},
		{base + "threads 5000\n", "want a count from 0 (one per CPU) to 1024"},
		{base + "summary\n", "t.target:4: summary: no value"},
		{"name a/b\narch amd64\npasses default\n", `name: "a/b": use letters`},
		{"name t\narch z80\npasses default\n", `arch: "z80" is not a Go architecture`},
		{strings.Repeat("#", 2<<20), "a target profile is at most"},
	} {
		_, err := Parse("t.target", []byte(c.src))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %q", c.src[:min(len(c.src), 60)], err, c.want)
		}
	}
}

func TestCheckBudget(t *testing.T) {
	p, _ := Lookup("board-512mb")
	if err := p.CheckBudget(100<<20, 50<<20, 10<<20); err != nil {
		t.Errorf("160 MiB refused: %v", err)
	}
	err := p.CheckBudget(200<<20, 80<<20, 16<<20)
	want := "the model needs 296.0 MiB (weights 200.0 MiB, activations 80.0 MiB, runtime 16.0 MiB), 40.0 MiB over target board-512mb's RAM budget of 256MiB"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("got %v, want %q", err, want)
	}
	if g, _ := Lookup("generic"); g.CheckBudget(1<<40, 1<<40, 0) != nil {
		t.Error("a profile without a budget refused a model")
	}
}
