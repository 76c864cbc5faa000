// Package passes holds kiln's pass manager and its passes. A pass is a
// value in a table (manager.go: name, summary, documentation with a
// before/after example, run function, what it requires and invalidates);
// a pipeline is a list of pass names; Run applies one with the
// instrumentation a developer asks for (print before/after, a dump folder
// of numbered .kir files, timings and per-pass statistics, the verifier
// after each pass). One file per pass: noop.go, fold.go, cse.go, dce.go.
//
// Passes take an *ir.Module and change it in place through ir's rewrite
// API. They import ir, and ir/interp for constant folding (fold runs the
// interpreter's kernels so that a folded value is the value a run would
// compute, bit for bit).
package passes
