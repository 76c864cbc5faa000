package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestInfo(t *testing.T) {
	dir := t.TempDir()
	sym := writeFile(t, dir, "sym.kir", symKir)
	big := writeFile(t, dir, "big.kir", bigKir)
	code, stdout, stderr := runCLI("info", sym)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"constants  0 tensors, 0 parameters, 0 bytes\n",
		"ops        2 (1 kinds)\n",
		"\ninputs:\n  x  f32[n,3]\n  k  i64[2]\n",
		"\noutputs:\n  y   f32[n,3]\n  k2  i64[2]\n",
		"\nsymbolic dims:\n  n  in [1, 8]  (inputs x)\n",
		"\nop histogram:\n  Neg  2\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("kiln info lacks %q:\n%s", want, stdout)
		}
	}
	code, stdout, stderr = runCLI("info", "--json", big)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var info modelInfo
	if err := json.Unmarshal([]byte(stdout), &info); err != nil {
		t.Fatal(err)
	}
	// One f32[20] constant: 20 parameters, 80 bytes; one Add.
	if info.Constants != 1 || info.Parameters != 20 || info.Weights != 80 || info.Ops != 1 ||
		len(info.Histogram) != 1 || info.Histogram[0] != (opCount{"Add", 1}) ||
		len(info.Inputs) != 1 || info.Inputs[0] != (valueInfo{"x", "f32[20]"}) {
		t.Errorf("kiln info --json: %+v", info)
	}
	if code, _, _ := runCLI("info"); code != exitUsage {
		t.Errorf("info without a model: exit %d", code)
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 3619702: "3,619,702", -1234: "-1,234"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}
