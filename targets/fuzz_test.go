package targets

import (
	"strings"
	"testing"
)

// FuzzParse feeds the profile parser arbitrary text, seeded with the
// built-in profiles. It must refuse bad text with an error that names the
// file, never panic; a profile it accepts has its required keys and
// sensible values, and the budget check on it never panics either.
func FuzzParse(f *testing.F) {
	entries, err := builtinFS.ReadDir("profiles")
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		b, err := builtinFS.ReadFile("profiles/" + e.Name())
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("name x\narch any\npasses none\nram-budget 99999999999GiB\nthreads -1\ndim a<=-1 b<=9223372036854775807\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		p, err := Parse("fuzz.target", src)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.target") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if p.Name == "" || p.Arch == "" || p.Threads < 0 || p.RAMBudget < 0 || p.L1D < 0 || p.L2 < 0 {
			t.Fatalf("accepted a bad profile: %+v", p)
		}
		for name, n := range p.Dims {
			if n < 1 {
				t.Fatalf("accepted dim %s<=%d", name, n)
			}
		}
		_ = p.CheckBudget(1<<62, 1<<62, 1<<62)
	})
}
