// Package passes will hold kiln's pass manager and its passes (one file per
// pass), with rewrite rules declared as data and run by one worklist driver.
// Passes take an *ir.Module and return one; they import ir only.
package passes
