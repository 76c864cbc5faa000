package targets

import (
	"embed"
	"fmt"
	"math"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/kiln-ml/kiln/internal/safefile"
	"github.com/kiln-ml/kiln/internal/suggest"
	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/passes"
)

// Profile describes a target: what it runs on, how much it may use, and
// which passes kiln runs for it.
type Profile struct {
	Name    string
	Summary string
	// Arch is the Go GOARCH the profile is for ("amd64", "arm64",
	// "wasm"), or "any".
	Arch string
	// GOAMD64 is the amd64 microarchitecture level ("v1".."v4") builds
	// use, when Arch is amd64; empty otherwise.
	GOAMD64 string
	// Features lists the SIMD and other instruction-set features kernels
	// may assume (avx2, fma, neon, dotprod, ...).
	Features []string
	// Threads is the number of goroutines kernels split work over; 0
	// means one per CPU at run time.
	Threads int
	// L1D and L2 are per-core cache sizes in bytes, for kernel blocking.
	L1D, L2 int64
	// RAMBudget is the most bytes the model may take (weights, planned
	// activations and runtime overhead); 0 means no limit.
	RAMBudget int64
	// DTypes are the element types the target allows.
	DTypes []ir.DType
	// Passes is the default pipeline, as --passes takes it.
	Passes string
	// Dims bounds symbolic dims by name: the largest size the target
	// supports (a sequence length, a batch).
	Dims map[string]int64
	// Source is where the profile was read from: "builtin" or a path.
	Source string
}

//go:embed profiles/*.target
var builtinFS embed.FS

// Builtin returns the built-in profiles, sorted by name.
func Builtin() []*Profile {
	entries, err := builtinFS.ReadDir("profiles")
	if err != nil {
		panic(err) // the embedded folder is part of the binary
	}
	var out []*Profile
	for _, e := range entries {
		src, err := builtinFS.ReadFile(path.Join("profiles", e.Name()))
		if err != nil {
			panic(err)
		}
		p, err := Parse(e.Name(), src)
		if err != nil {
			panic(fmt.Sprintf("built-in profile %v", err)) // caught by the tests
		}
		p.Source = "builtin"
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Lookup returns the built-in profile called name or, when name holds a
// path separator or ends in .target, the profile in that file.
func Lookup(name string) (*Profile, error) {
	if strings.ContainsRune(name, os.PathSeparator) || strings.HasSuffix(name, ".target") {
		src, err := safefile.ReadFile(name)
		if err != nil {
			return nil, err
		}
		p, err := Parse(name, src)
		if err != nil {
			return nil, err
		}
		p.Source = name
		return p, nil
	}
	var names []string
	for _, p := range Builtin() {
		if p.Name == name {
			return p, nil
		}
		names = append(names, p.Name)
	}
	msg := fmt.Sprintf("unknown target %q", name)
	if c := suggest.Closest(name, names); c != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", c)
	}
	return nil, fmt.Errorf("%s; built-in targets: %s (or give a path to a .target file)", msg, strings.Join(names, ", "))
}

// keys are the keys a profile may hold, each at most once.
var keys = []string{"name", "summary", "arch", "goamd64", "features", "threads", "l1d", "l2", "ram-budget", "dtypes", "passes", "dim"}

// maxProfileBytes bounds a profile file: they are a few hundred bytes.
const maxProfileBytes = 1 << 20

// Parse reads a profile in kiln's target format (docs/targets.md): one
// "key value" per line, # comments, keys from a fixed set, each once
// (dim may repeat). Errors read "file:line: what".
func Parse(file string, src []byte) (*Profile, error) {
	if len(src) > maxProfileBytes {
		return nil, fmt.Errorf("%s: %d bytes; a target profile is at most %d", file, len(src), maxProfileBytes)
	}
	p := &Profile{Threads: 1, Dims: map[string]int64{}}
	seen := map[string]int{}
	for i, line := range strings.Split(string(src), "\n") {
		ln := i + 1
		if j := strings.IndexByte(line, '#'); j >= 0 {
			line = line[:j]
		}
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		key, vals := fields[0], fields[1:]
		errf := func(format string, args ...any) error {
			return fmt.Errorf("%s:%d: %s: %s", file, ln, key, fmt.Sprintf(format, args...))
		}
		if !contains(keys, key) {
			msg := fmt.Sprintf("%s:%d: unknown key %q", file, ln, key)
			if c := suggest.Closest(key, keys); c != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", c)
			}
			return nil, fmt.Errorf("%s", msg)
		}
		if prev, dup := seen[key]; dup && key != "dim" {
			return nil, errf("given again (first on line %d)", prev)
		}
		seen[key] = ln
		if len(vals) == 0 {
			return nil, errf("no value")
		}
		one := func() (string, error) {
			if len(vals) != 1 {
				return "", errf("want one value, got %d", len(vals))
			}
			return vals[0], nil
		}
		var err error
		switch key {
		case "name":
			if p.Name, err = one(); err == nil && !validName(p.Name) {
				err = errf("%q: use letters, digits, '-', '_' and '.'", p.Name)
			}
		case "summary":
			p.Summary = strings.Join(vals, " ")
		case "arch":
			if p.Arch, err = one(); err == nil && !contains([]string{"any", "amd64", "arm64", "wasm", "386", "arm", "riscv64", "loong64", "ppc64le", "s390x"}, p.Arch) {
				err = errf("%q is not a Go architecture kiln targets", p.Arch)
			}
		case "goamd64":
			if p.GOAMD64, err = one(); err == nil && !contains([]string{"v1", "v2", "v3", "v4"}, p.GOAMD64) {
				err = errf("%q: want v1, v2, v3 or v4", p.GOAMD64)
			}
		case "features":
			p.Features = vals
		case "threads":
			var s string
			if s, err = one(); err == nil {
				n, e := strconv.Atoi(s)
				if e != nil || n < 0 || n > 1024 {
					err = errf("%q: want a count from 0 (one per CPU) to 1024", s)
				}
				p.Threads = n
			}
		case "l1d", "l2":
			var s string
			var n int64
			if s, err = one(); err == nil {
				if n, err = parseBytes(s); err != nil || n == 0 {
					err = errf("%q: want a size such as 32KiB", s)
				}
			}
			if key == "l1d" {
				p.L1D = n
			} else {
				p.L2 = n
			}
		case "ram-budget":
			var s string
			if s, err = one(); err == nil && s != "none" {
				if p.RAMBudget, err = parseBytes(s); err != nil || p.RAMBudget == 0 {
					err = errf("%q: want a size such as 512MiB, or none", s)
				}
			}
		case "dtypes":
			for _, v := range vals {
				d, ok := ir.ParseDType(v)
				if !ok {
					err = errf("unknown element type %q", v)
					break
				}
				p.DTypes = append(p.DTypes, d)
			}
		case "passes":
			if p.Passes, err = one(); err == nil {
				if _, e := passes.ParsePipeline(p.Passes, nil); e != nil {
					err = errf("%v", e)
				}
			}
		case "dim":
			for _, v := range vals {
				name, n, ok := strings.Cut(v, "<=")
				size, e := strconv.ParseInt(n, 10, 64)
				if !ok || name == "" || e != nil || size < 1 {
					err = errf("%q: want NAME<=N with N at least 1", v)
					break
				}
				if _, dup := p.Dims[name]; dup {
					err = errf("dim %s bounded twice", name)
					break
				}
				p.Dims[name] = size
			}
		}
		if err != nil {
			return nil, err
		}
	}
	for _, k := range []string{"name", "arch", "passes"} {
		if _, ok := seen[k]; !ok {
			return nil, fmt.Errorf("%s: no %s (required)", file, k)
		}
	}
	if p.GOAMD64 != "" && p.Arch != "amd64" {
		return nil, fmt.Errorf("%s:%d: goamd64: only for arch amd64, not %s", file, seen["goamd64"], p.Arch)
	}
	return p, nil
}

// parseBytes reads a size: a number with an optional B, KiB, MiB or GiB
// suffix.
func parseBytes(s string) (int64, error) {
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"B", 1}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSuffix(s, u.suffix), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > math.MaxInt64/mult {
		return 0, fmt.Errorf("bad size")
	}
	return n * mult, nil
}

// FormatBytes spells n as parseBytes reads it, in the largest unit that
// divides it.
func FormatBytes(n int64) string {
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n != 0 && n%u.mult == 0 {
			return fmt.Sprintf("%d%s", n/u.mult, u.suffix)
		}
	}
	return fmt.Sprintf("%dB", n)
}

// CheckBudget compares a model's footprint with the profile's RAM budget
// and returns an error saying by how much it is over, or nil.
func (p *Profile) CheckBudget(weights, arena, overhead int64) error {
	if p.RAMBudget == 0 {
		return nil
	}
	total := weights + arena + overhead
	if total <= p.RAMBudget {
		return nil
	}
	return fmt.Errorf("the model needs %s (weights %s, activations %s, runtime %s), %s over target %s's RAM budget of %s; --allow-over-budget compiles it anyway",
		mib(total), mib(weights), mib(arena), mib(overhead), mib(total-p.RAMBudget), p.Name, FormatBytes(p.RAMBudget))
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func validName(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return s != ""
}
