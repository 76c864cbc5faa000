// Package targets will hold target profiles (which passes to run, which
// element types and kernels a target supports) and the built-in profiles as
// embedded data files.
package targets
