package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

func TestBenchPercentiles(t *testing.T) {
	// Nearest rank: the median of 5 is the 3rd smallest, p90 the 5th.
	r := &benchResult{RunNS: []int64{5e6, 1e6, 3e6, 2e6, 4e6}}
	if m, p := r.percentile(0.5), r.percentile(0.9); m != 3 || p != 5 {
		t.Errorf("median %v p90 %v, want 3 and 5", m, p)
	}
	r = &benchResult{RunNS: []int64{7e6}}
	if m, p := r.percentile(0.5), r.percentile(0.9); m != 7 || p != 7 {
		t.Errorf("one run: median %v p90 %v, want 7", m, p)
	}
}

func TestBenchEngines(t *testing.T) {
	needGoBuild(t)
	dir := t.TempDir()
	model := writeFile(t, dir, "affine.kir", affineKir)
	for _, engine := range []string{"compiled", "interp"} {
		code, stdout, stderr := runCLI("bench", model, "--engine", engine, "--dim", "n=4", "-n", "5", "--warmup", "1", "--json")
		if code != exitOK {
			t.Fatalf("--engine %s: exit %d: %s", engine, code, stderr)
		}
		var r benchReport
		if err := json.Unmarshal([]byte(stdout), &r); err != nil {
			t.Fatalf("%v: %s", err, stdout)
		}
		if r.Engine != engine || r.Runs != 5 || r.Dims != "n=4" || r.MedianMS <= 0 || r.P90MS < r.MedianMS || r.PeakRSSBytes < 1<<20 || r.ORTMedianMS != 0 {
			t.Errorf("--engine %s: %+v", engine, r)
		}
		// The compiled program of a 3-element model is the Go runtime and
		// little else: its peak must not count kiln's pages (the test
		// binary's, here) that a forked child holds until its exec.
		if engine == "compiled" && r.PeakRSSBytes > 16<<20 {
			t.Errorf("compiled program's peak RSS %d bytes: counts its parent's?", r.PeakRSSBytes)
		}
	}
	code, stdout, stderr := runCLI("bench", model, "--dim", "n=2", "-n", "2")
	if code != exitOK || !strings.Contains(stdout, "affine.kir (n=2): 1 thread, 3 warm-up and 2 timed runs") || !strings.Contains(stdout, "compiled") {
		t.Errorf("table: exit %d\n%s%s", code, stdout, stderr)
	}
}

func TestBenchVsORT(t *testing.T) {
	needBackendData(t)
	needGoBuild(t)
	needORT(t)
	code, stdout, stderr := runCLI("bench", filepath.Join(backendTest, "model.onnx"), "--vs-ort", "-n", "3", "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var r benchReport
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	if r.ORTMedianMS <= 0 || r.ORTPeakRSSBytes < 1<<20 || r.MedianRatio <= 0 || r.PeakRSSRatio <= 0 {
		t.Errorf("report %+v", r)
	}
	code, stdout, stderr = runCLI("bench", filepath.Join(backendTest, "model.onnx"), "--vs-ort", "-n", "2")
	if code != exitOK || !strings.Contains(stdout, "ort") || !strings.Contains(stdout, "compiled / ort: median ") {
		t.Errorf("table: exit %d\n%s%s", code, stdout, stderr)
	}
}

func TestBenchUsage(t *testing.T) {
	tests := []struct {
		args   []string
		errHas string
	}{
		{[]string{"bench"}, "want a model"},
		{[]string{"bench", "m.onnx", "-n", "0"}, "-n and --threads must be at least 1"},
		{[]string{"bench", "m.onnx", "--threads", "0"}, "-n and --threads must be at least 1"},
		{[]string{"bench", "m.onnx", "--engine", "ort"}, "--engine ort: want compiled or interp"},
		{[]string{"bench", "m.kir", "--vs-ort"}, "ONNX Runtime runs ONNX models"},
	}
	for _, tc := range tests {
		code, _, stderr := runCLI(tc.args...)
		if code != exitUsage || !strings.Contains(stderr, tc.errHas) {
			t.Errorf("%v: exit %d, stderr %q", tc.args, code, stderr)
		}
	}
}
