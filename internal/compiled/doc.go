// Package compiled is kiln's compiled engine as the command line uses it:
// it turns modules into Go packages with codegen, writes a small main
// package beside them that reads inputs and writes outputs as .npy files,
// builds that with the Go toolchain into a cache, and runs the executable
// as a child process.
//
// A cache entry is keyed by the content hash of the module's text (which
// carries the sha256 of every weight), the options (the bound dims), the
// kiln version and the Go toolchain's version. Dims bound to one size
// make each distinct binding its own entry; dims given ranges (Unit.Ranges,
// --dim NAME=LO..HI) are read by the package at run time, so one entry
// serves every size in them. Entries are written into a temporary folder and renamed into
// place, so concurrent users of one cache never see half an entry.
//
// Several modules can share one executable (BuildSet): the conformance
// runner builds hundreds of small test models into one binary whose main
// dispatches on the unit's name.
//
// It imports codegen, ir and ir/tensor; only cmd/kiln imports it.
package compiled
