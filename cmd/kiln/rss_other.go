//go:build !unix

package main

// peakRSSMiB returns 0 where the peak resident set size is not read.
func peakRSSMiB() float64 { return 0 }
