package compiled

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kiln-ml/kiln/codegen"
	"github.com/kiln-ml/kiln/ir"
)

// formatVersion changes whenever the layout of an entry or the generated
// main changes, so that old entries are not reused.
const formatVersion = "kiln-compiled-2"

// Options configure Build and BuildSet.
type Options struct {
	// CacheDir is the cache folder; CacheDir() when empty.
	CacheDir string
	// KilnVersion is part of every key and goes into the generated header.
	KilnVersion string
	// BuildID identifies the kiln binary beyond its version (a hash of
	// the executable when the version names no clean commit), so that a
	// rebuilt kiln whose codegen changed never reuses an older entry. It
	// is part of the key only.
	BuildID string
	// Threads is the number of goroutines the generated kernels split
	// their work over (codegen.Options.Threads); 0 or 1 is one.
	Threads int
	// SIMD writes the GEMM's vector micro-kernel (codegen.Options.SIMD)
	// and builds with GOEXPERIMENT=simd, which the kernel's AVX2 form
	// needs on amd64.
	SIMD bool
	// Passes names the passes the caller ran on the modules, for the
	// manifest (the module text, which keys the cache, shows their work).
	Passes []string
	// Progress, when set, receives one line per slow step (compiling,
	// building) for a person watching.
	Progress io.Writer
}

// Unit is one module to compile into a program.
type Unit struct {
	// Name is what Run and the program's main call the unit by.
	Name string
	// Module is the module; its @main (or only) function is compiled.
	Module *ir.Module
	// Dims binds the symbolic dims the module uses (see BindDims) but
	// those in Ranges.
	Dims map[string]int64
	// Ranges gives the dims the compiled package reads from its inputs
	// at run time (codegen.Options.Ranges): one build serves every size
	// in them (see SplitRanges).
	Ranges map[string]codegen.DimRange
	// Source names the model in the generated header and manifest.
	Source codegen.Source
}

// Program is a built executable holding one or more compiled units.
type Program struct {
	// Exe is the executable's path in the cache.
	Exe string
	// Dir is the cache entry's folder.
	Dir string
	// Cached reports that the entry was there already: nothing was built.
	Cached bool
	units  map[string]*unitInfo
}

// unitInfo is what Run needs of a unit: its output count.
type unitInfo struct {
	pkg     string
	outputs int
}

// Manifest returns unit's manifest, as codegen wrote it into the entry.
func (p *Program) Manifest(unit string) ([]byte, error) {
	u, ok := p.units[unit]
	if !ok {
		return nil, fmt.Errorf("the program holds no unit %q", unit)
	}
	return os.ReadFile(filepath.Join(p.Dir, u.pkg, "manifest.json"))
}

// unitPackage is the package name (and folder) of the i-th unit. A
// single unit is "model"; in a set, units are u0, u1, ... in the order
// given.
func unitPackage(i int, single bool) string {
	if single {
		return "model"
	}
	return "u" + strconv.Itoa(i)
}

// Build compiles m with the dims bound into a program holding one unit,
// named "model", reusing the cache entry when there is one.
func Build(ctx context.Context, u Unit, opts Options) (*Program, error) {
	u.Name = "model"
	p, errs, err := build(ctx, []Unit{u}, opts, true)
	if err != nil {
		return nil, err
	}
	if e := errs[u.Name]; e != nil {
		return nil, e
	}
	return p, nil
}

// BuildSet compiles every unit into one program. A unit codegen refuses,
// or whose package does not build, is left out with its error in the map;
// the error return is for failures of the whole set (no Go toolchain, an
// unwritable cache). Unit names must be distinct.
func BuildSet(ctx context.Context, units []Unit, opts Options) (*Program, map[string]error, error) {
	return build(ctx, units, opts, false)
}

func build(ctx context.Context, units []Unit, opts Options, single bool) (*Program, map[string]error, error) {
	tc, err := findGo(ctx)
	if err != nil {
		return nil, nil, err
	}
	root := opts.CacheDir
	if root == "" {
		if root, err = CacheDir(); err != nil {
			return nil, nil, err
		}
	}
	// The key: everything the executable depends on.
	key := newHasher()
	key.add(formatVersion, opts.KilnVersion, opts.BuildID, tc.version, runtime.GOOS, runtime.GOARCH, strconv.Itoa(opts.Threads), strconv.FormatBool(opts.SIMD))
	seen := map[string]bool{}
	for _, u := range units {
		if seen[u.Name] {
			return nil, nil, fmt.Errorf("unit %q given twice", u.Name)
		}
		seen[u.Name] = true
		key.add(u.Name, u.Source.Name, u.Source.Format, u.Source.SHA256, dimsText(u.Dims), rangesText(u.Ranges), u.Module.String())
	}
	dir := filepath.Join(root, key.sum())
	exe := filepath.Join(dir, exeName)
	if _, err := os.Stat(exe); err == nil {
		p, errs, err := readEntry(dir)
		if err == nil {
			p.Cached = true
			return p, errs, nil
		}
		// An entry that does not read back is rebuilt below.
	}
	if err := os.MkdirAll(root, 0o777); err != nil {
		return nil, nil, fmt.Errorf("cache folder: %w", err)
	}
	tmp, err := os.MkdirTemp(root, "tmp-")
	if err != nil {
		return nil, nil, fmt.Errorf("cache folder: %w", err)
	}
	defer os.RemoveAll(tmp) // a no-op after publish
	start := time.Now()
	progress(opts.Progress, "compiling %s", unitsText(units))
	errs := map[string]error{}
	var gen []*genUnit
	for i, u := range units {
		pkg := unitPackage(i, single)
		g, err := compileUnit(u, pkg, opts, filepath.Join(tmp, pkg))
		if err != nil {
			errs[u.Name] = err
			continue
		}
		gen = append(gen, g)
	}
	progress(opts.Progress, "compiled %d of %d in %v; building with %s (cached for later runs in %s)", len(gen), len(units), time.Since(start).Round(time.Millisecond), tc.version, root)
	start = time.Now()
	for len(gen) > 0 {
		if err := writeMain(tmp, gen, tc); err != nil {
			return nil, nil, err
		}
		err := tc.build(ctx, tmp, filepath.Join(tmp, exeName), opts.SIMD)
		if err == nil {
			break
		}
		be, ok := err.(*buildError)
		if !ok {
			return nil, nil, err
		}
		// Leave out the units whose packages do not build and try again;
		// with none to blame, the whole set fails.
		bad := map[string]bool{}
		for _, p := range be.failedPackages() {
			bad[strings.TrimPrefix(p, modulePath+"/")] = true
		}
		var keep []*genUnit
		for _, g := range gen {
			if bad[g.pkg] {
				errs[g.name] = fmt.Errorf("the generated package does not build (a bug in kiln's code generator): %s", firstLines(be.output, g.pkg))
				os.RemoveAll(filepath.Join(tmp, g.pkg))
			} else {
				keep = append(keep, g)
			}
		}
		if len(keep) == len(gen) {
			return nil, nil, err
		}
		gen = keep
	}
	if len(gen) == 0 {
		// Nothing to build: no entry, only the errors.
		return nil, errs, nil
	}
	progress(opts.Progress, "built in %v", time.Since(start).Round(time.Millisecond))
	if err := writeIndex(tmp, gen, errs); err != nil {
		return nil, nil, err
	}
	if err := publish(tmp, dir); err != nil {
		return nil, nil, err
	}
	p, errs, err := readEntry(dir)
	return p, errs, err
}

// compileUnit runs codegen on u and writes the package into dir. A panic
// in codegen (a bug in kiln) is this unit's error, not the set's end.
func compileUnit(u Unit, pkg string, opts Options, dir string) (g *genUnit, err error) {
	defer func() {
		if r := recover(); r != nil {
			g, err = nil, fmt.Errorf("internal error in codegen (a bug in kiln): %v", r)
		}
	}()
	f := mainFunc(u.Module)
	if f == nil {
		return nil, errors.New("module has no function @main")
	}
	p, err := codegen.Compile(u.Module, codegen.Options{
		Package:     pkg,
		Dims:        u.Dims,
		Ranges:      u.Ranges,
		Weights:     codegen.WeightsEmbed,
		Source:      u.Source,
		KilnVersion: opts.KilnVersion,
		Threads:     opts.Threads,
		SIMD:        opts.SIMD,
		Passes:      opts.Passes,
	})
	if err != nil {
		return nil, err
	}
	g = &genUnit{name: u.Name, pkg: pkg, manifest: p.Manifest}
	for _, v := range f.Body.Params {
		d, k := valueKind(v.Type)
		g.inTypes, g.inKinds = append(g.inTypes, d), append(g.inKinds, k)
	}
	for _, v := range f.Body.Results {
		d, k := valueKind(v.Type)
		g.outTypes, g.outKinds = append(g.outTypes, d), append(g.outKinds, k)
	}
	for i, d := range append(append([]ir.DType{}, g.inTypes...), g.outTypes...) {
		if d == ir.BF16 && i < len(g.inTypes) || isStringIO(d) {
			continue // passed as its bits (WriteInputs), or as NumPy strings (mainstr.go)
		}
		if _, ok := npyDescr[d]; !ok {
			return nil, fmt.Errorf("the compiled engine passes numeric and bool tensors, not %v", d)
		}
	}
	if len(p.Manifest.Inputs) != len(g.inTypes) || len(p.Manifest.Outputs) != len(g.outTypes) {
		return nil, fmt.Errorf("manifest lists %d inputs and %d outputs, the function has %d and %d (a bug in kiln)", len(p.Manifest.Inputs), len(p.Manifest.Outputs), len(g.inTypes), len(g.outTypes))
	}
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return nil, err
	}
	for name, b := range p.Files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o666); err != nil {
			return nil, err
		}
	}
	return g, nil
}

// mainFunc is the function codegen compiles: @main, or the only one.
func mainFunc(m *ir.Module) *ir.Func {
	if f := m.Func("main"); f != nil {
		return f
	}
	if len(m.Funcs) == 1 {
		return m.Funcs[0]
	}
	return nil
}

// writeMain writes go.mod and main.go for the units.
func writeMain(dir string, units []*genUnit, tc *toolchain) error {
	src, err := mainSource(units)
	if err != nil {
		return err
	}
	mod := fmt.Sprintf("module %s\n\ngo %s\n", modulePath, tc.goDirective())
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(mod), 0o666); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "main.go"), src, 0o666)
}

func progress(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, "kiln: "+format+"\n", args...)
	}
}

// unitsText names the units for progress lines.
func unitsText(units []Unit) string {
	if len(units) == 1 {
		if units[0].Source.Name != "" {
			return units[0].Source.Name
		}
		return units[0].Name
	}
	return fmt.Sprintf("%d models", len(units))
}

// dimsText is a binding in a canonical order, for keys.
func dimsText(dims map[string]int64) string {
	names := make([]string, 0, len(dims))
	for n := range dims {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "%q=%d;", n, dims[n])
	}
	return b.String()
}

// firstLines returns the go build output lines about pkg, shortened.
func firstLines(output, pkg string) string {
	var lines []string
	in := false
	for _, l := range strings.Split(output, "\n") {
		if strings.HasPrefix(l, "# ") {
			in = strings.TrimSpace(l[2:]) == modulePath+"/"+pkg
			continue
		}
		if in && len(lines) < 3 {
			lines = append(lines, strings.TrimSpace(l))
		}
	}
	return strings.Join(lines, "; ")
}

// rangesText spells ranges for the cache key: "seq"=1..128;.
func rangesText(ranges map[string]codegen.DimRange) string {
	names := make([]string, 0, len(ranges))
	for n := range ranges {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "%q=%d..%d;", n, ranges[n].Min, ranges[n].Max)
	}
	return b.String()
}
