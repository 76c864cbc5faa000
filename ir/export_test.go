package ir

// LineDiff gives the external test package (ir_test) the line diff that
// the rewrite tests use, so that both count changed lines one way.
var LineDiff = lineDiff
