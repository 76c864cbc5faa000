package safefile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// File is an output being written: a temporary file beside its target
// that Commit renames into place. Write to it like an *os.File.
type File struct {
	*os.File
	target string
	mode   fs.FileMode
	done   bool
}

// Create starts writing path. When path is a symlink, the file it points
// to is the one replaced (the link stays). An existing file keeps its
// permission bits; a new file gets 0666 minus the umask, as os.Create
// gives. An existing path that is not a regular file (a folder, a device,
// a named pipe) is refused. Nothing at path changes before Commit.
func Create(path string) (*File, error) {
	target, err := resolve(path)
	if err != nil {
		return nil, err
	}
	mode := 0o666 &^ umask
	if st, err := os.Stat(target); err == nil {
		if err := regular(path, st); err != nil {
			return nil, err
		}
		mode = st.Mode().Perm()
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".tmp*")
	if err != nil {
		// Name the file asked for, not the temporary one.
		if pe, ok := errors.AsType[*fs.PathError](err); ok {
			return nil, &fs.PathError{Op: "create", Path: path, Err: pe.Err}
		}
		return nil, err
	}
	return &File{File: tmp, target: target, mode: mode}, nil
}

// Commit flushes the temporary file to disk, gives it its mode and renames
// it over the target. After an error the target is unchanged.
func (f *File) Commit() error {
	if f.done {
		return fmt.Errorf("%s: already committed or aborted", f.target)
	}
	f.done = true
	err := f.Chmod(f.mode)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), f.target)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// Abort removes the temporary file and leaves the target as it was. It is
// a no-op after Commit, so `defer f.Abort()` is the usual pattern.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.Close()
	os.Remove(f.Name())
}

// WriteFile writes data to path through Create and Commit.
func WriteFile(path string, data []byte) error {
	f, err := Create(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := f.Write(data); err != nil {
		return err
	}
	return f.Commit()
}

// resolve follows path's symlinks, if any, to the file a write should
// replace. A symlink whose target does not exist yet resolves to that
// target, so writing creates it and keeps the link.
func resolve(path string) (string, error) {
	for range 64 {
		st, err := os.Lstat(path)
		if errors.Is(err, fs.ErrNotExist) {
			return path, nil
		}
		if err != nil {
			return "", err
		}
		if st.Mode()&fs.ModeSymlink == 0 {
			return path, nil
		}
		link, err := os.Readlink(path)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(link) {
			link = filepath.Join(filepath.Dir(path), link)
		}
		path = link
	}
	return "", fmt.Errorf("%s: too many levels of symlinks", path)
}

// Check returns an error when output is the same file as one of inputs
// (os.SameFile: hard links and symlinks to an input count), so that a
// command refuses before it writes anything. Inputs that do not exist are
// ignored, and so is an output that does not exist yet.
func Check(output string, inputs ...string) error {
	out, err := os.Stat(output)
	if err != nil {
		return nil
	}
	for _, in := range inputs {
		if in == "" {
			continue
		}
		st, err := os.Stat(in)
		if err != nil {
			continue
		}
		if os.SameFile(out, st) {
			if in == output {
				return fmt.Errorf("%s: refusing to overwrite an input", output)
			}
			return fmt.Errorf("%s: refusing to overwrite an input (it is %s)", output, in)
		}
	}
	return nil
}
