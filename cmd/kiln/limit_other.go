//go:build !linux

package main

// limitAddressSpace does nothing where kiln does not know how to cap the
// address space; the soft limit (debug.SetMemoryLimit) still applies.
func limitAddressSpace(mem int64) error { return nil }
