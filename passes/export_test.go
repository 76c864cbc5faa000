package passes

// Test helpers shared with the external test package (validate_test.go),
// which imports targets (and targets imports passes).
var (
	PassToleranceFor = func(name string) (atol, rtol float64, ok bool) {
		t, ok := passTolerance[name]
		return t.atol, t.rtol, ok
	}
)
