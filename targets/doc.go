// Package targets holds target profiles: what a compiled model runs on
// (architecture, SIMD features, threads, cache sizes), how much memory it
// may use (a RAM budget), which element types it allows, which dims it
// bounds, and which passes kiln runs for it. Profiles are small text files
// (docs/targets.md); the built-in ones are embedded from profiles/, and a
// user's file is read by path. `kiln targets` lists them.
package targets
