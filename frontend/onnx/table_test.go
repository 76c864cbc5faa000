package onnx

import "testing"

// checkRuleSpan checks that op has an import rule in the default domain at
// every opset from since to until, and none just before since.
func checkRuleSpan(t *testing.T, op string, since, until int64) {
	t.Helper()
	for v := since; v <= until; v++ {
		if _, ok := lookupRule("", op, v); !ok {
			t.Errorf("%s: no import rule at opset %d", op, v)
		}
	}
	if _, ok := lookupRule("", op, since-1); ok && since > 1 {
		t.Errorf("%s: import rule at opset %d, before the op existed", op, since-1)
	}
}
