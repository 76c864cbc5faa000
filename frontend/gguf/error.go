package gguf

import "fmt"

// Error is a refusal of a GGUF file's contents: where in the file the bad
// field starts, and what is wrong with it.
type Error struct {
	// Path is the file's path, empty when the bytes were parsed from
	// memory.
	Path string
	// Offset is the byte offset in the file of the field at fault.
	Offset int64
	// Msg names the field and the problem:
	// `tensor 3 "blk.0.attn_q.weight": dims count 7 exceeds 4`.
	Msg string
}

// Error returns "PATH: offset 0x1a4: MSG" ("gguf: ..." without a path).
func (e *Error) Error() string {
	p := e.Path
	if p == "" {
		p = "gguf"
	}
	return fmt.Sprintf("%s: offset 0x%x: %s", p, e.Offset, e.Msg)
}

// errAt returns an *Error at off.
func errAt(off int64, format string, args ...any) *Error {
	return &Error{Offset: off, Msg: fmt.Sprintf(format, args...)}
}
