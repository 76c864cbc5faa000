package safefile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// Open opens path for reading when it is a regular file (after following
// symlinks). It stats the path first and refuses anything else before
// opening, opens without blocking (a FIFO swapped in after the stat cannot
// hang the open) and checks the opened file again.
func Open(path string) (*os.File, error) {
	st, err := os.Stat(path)
	if err != nil {
		// Report it as the open it stands for, as os.Open would.
		var pe *fs.PathError
		if errors.As(err, &pe) {
			pe.Op = "open"
		}
		return nil, err
	}
	if err := regular(path, st); err != nil {
		return nil, err
	}
	f, err := openNonblock(path)
	if err != nil {
		return nil, err
	}
	st2, err := f.Stat()
	if err == nil {
		err = regular(path, st2)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// ReadFile reads the whole of the regular file path, as os.ReadFile does
// for files Open accepts.
func ReadFile(path string) ([]byte, error) {
	f, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	// The size is a hint: the file may grow or shrink while it is read.
	buf := make([]byte, 0, min(st.Size()+1, 1<<30))
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := f.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// CheckRegular returns an error unless path names a regular file (after
// following symlinks). It does not open the file.
func CheckRegular(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	return regular(path, st)
}

// regular returns nil for a regular file and an error naming what path is
// otherwise.
func regular(path string, st fs.FileInfo) error {
	m := st.Mode()
	if m.IsRegular() {
		return nil
	}
	return fmt.Errorf("%s: not a regular file (%s)", path, kind(m))
}

// kind names the file type of a non-regular mode.
func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a folder"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSymlink != 0:
		return "a symlink"
	}
	return "mode " + m.String()
}
