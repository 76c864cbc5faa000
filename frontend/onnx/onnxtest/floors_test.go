package onnxtest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"
)

// backendData is where Debian's libonnx-testdata installs the ONNX 1.12
// backend test suites.
const backendData = "/usr/share/libonnx-testdata/data"

// suiteFloor is one suite's pass-count floor. Floor is what kiln passes
// today: raise it whenever more tests pass, never lower it. Target is the
// goal (93% of node, 21 of simple, 95% of each pytorch suite).
type suiteFloor struct {
	Suite         string
	Floor, Target int
}

var conformanceFloors = []suiteFloor{
	{"node", 5, 867},
	{"simple", 0, 21},
	{"pytorch-converted", 0, 78},
	{"pytorch-operator", 5, 34},
}

// conformanceTimeLimit bounds the whole run of the four suites on a
// 2-core machine, so `make test` stays quick.
const conformanceTimeLimit = 5 * time.Minute

// TestConformanceFloors runs the four ONNX backend suites on parallel
// workers and fails when a suite passes fewer tests than its floor. It
// runs only with KILN_CONFORMANCE=1 (`make test` runs it last, on its own).
func TestConformanceFloors(t *testing.T) {
	if os.Getenv("KILN_CONFORMANCE") != "1" {
		t.Skip("set KILN_CONFORMANCE=1 to run the ONNX backend suites (make test does)")
	}
	var dirs []string
	for _, f := range conformanceFloors {
		d := filepath.Join(backendData, f.Suite)
		tests, err := FindTests(d)
		if err != nil {
			t.Fatalf("suite %s: %v (make test installs libonnx-testdata)", f.Suite, err)
		}
		dirs = append(dirs, tests...)
	}
	workers := runtime.GOMAXPROCS(0)
	start := time.Now()
	results := RunAll(dirs, RunOptions{Workers: workers})
	elapsed := time.Since(start)

	counts := map[string]*Counts{}
	for _, f := range conformanceFloors {
		counts[f.Suite] = &Counts{}
	}
	var timeouts []string
	for _, r := range results {
		counts[r.Suite].Add(r)
		if r.Stage == "timeout" {
			timeouts = append(timeouts, r.Suite+"/"+r.Test)
		}
	}
	ort := ortConformance(t)

	var b strings.Builder
	fmt.Fprintf(&b, "ONNX 1.12 backend suites, %d tests in %.1fs on %d workers (rtol %g, atol %g):\n", len(results), elapsed.Seconds(), workers, RTol, ATol)
	fmt.Fprintf(&b, "  %-18s %12s %7s %7s %16s\n", "suite", "kiln", "floor", "target", "ONNX Runtime 1.30")
	for _, f := range conformanceFloors {
		c := counts[f.Suite]
		o := "n/a"
		if s, ok := ort[f.Suite]; ok {
			o = fmt.Sprintf("%d/%d", s.Passed, s.Total)
		}
		fmt.Fprintf(&b, "  %-18s %12s %7d %7d %16s\n", f.Suite, fmt.Sprintf("%d/%d", c.Passed, c.Total()), f.Floor, f.Target, o)
	}
	t.Log(b.String())
	logSlowest(t, results, 5)

	for _, f := range conformanceFloors {
		if c := counts[f.Suite]; c.Passed < f.Floor {
			t.Errorf("suite %s: %d passed, below its floor of %d", f.Suite, c.Passed, f.Floor)
		}
	}
	if len(timeouts) > 0 {
		t.Errorf("%d tests hit the per-test time limit: %s", len(timeouts), strings.Join(timeouts, ", "))
	}
	if elapsed > conformanceTimeLimit {
		t.Errorf("the suites took %v, over the %v limit", elapsed.Round(time.Second), conformanceTimeLimit)
	}
}

type ortSuite struct {
	Passed, Failed, Skipped, Total int
}

// ortConformance reads ONNX Runtime's results on the same suites from
// ../shared (absent: no comparison column).
func ortConformance(t *testing.T) map[string]ortSuite {
	root, err := os.Getwd()
	if err != nil {
		return nil
	}
	for { // up to the folder holding go.mod; ../shared lies beside it
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil || filepath.Dir(root) == root {
			break
		}
		root = filepath.Dir(root)
	}
	b, err := os.ReadFile(filepath.Join(root, "..", "shared", "models", "reference", "ort-1.30-conformance-onnx-1.12.json"))
	if err != nil {
		t.Logf("no ONNX Runtime reference results: %v", err)
		return nil
	}
	var ref struct{ Suites map[string]ortSuite }
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Logf("ONNX Runtime reference results: %v", err)
		return nil
	}
	return ref.Suites
}

func logSlowest(t *testing.T, results []Result, n int) {
	rs := append([]Result{}, results...)
	sort.Slice(rs, func(i, j int) bool { return rs[i].Time > rs[j].Time })
	var parts []string
	for _, r := range rs[:min(n, len(rs))] {
		parts = append(parts, fmt.Sprintf("%s/%s %.2fs", r.Suite, r.Test, r.Time.Seconds()))
	}
	t.Logf("slowest: %s", strings.Join(parts, ", "))
}
