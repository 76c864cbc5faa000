// Package safefile opens and writes files for kiln without the surprises
// of plain os calls on hostile paths.
//
// Reading: Open and ReadFile accept only regular files. A named pipe, a
// device or a folder is refused with a clear error before any open that
// could block, and the opened file is checked again, so a path swapped
// between the two checks is refused too.
//
// Writing: Create and WriteFile write to a temporary file in the target's
// folder and rename it into place on Commit, so a failed or interrupted
// write never leaves a truncated file. An existing file keeps its mode, a
// new one gets the mode os.Create would give it, and a symlink stays a
// symlink (the file it points to is replaced). Check refuses an output
// that is one of the inputs (the same file by os.SameFile).
//
// safefile imports only the standard library, so every layer of kiln may
// use it, ir included.
package safefile
