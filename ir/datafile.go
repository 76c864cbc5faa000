package ir

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"path/filepath"
	"strconv"

	"github.com/kiln-ml/kiln/internal/safefile"
)

// DataFileAlign is the alignment of every constant in a file written by
// WriteDataFile, enough for any vector load of the data in place.
const DataFileAlign = 64

// WriteDataFile writes the bytes of every large constant of m (more than
// DefaultInlineLimit elements, not strings) and of every block-typed one
// into one file at path, each at a
// DataFileAlign-aligned offset in module order, and points the constants'
// Source at it. Printing m afterwards refers to the file instead of either
// spelling the values out or pointing into the source model; this is what
// `kiln dump --data-out` uses. The constants keep their Bytes. The file is
// written beside path and renamed into place, so a failed write leaves
// any old file as it was.
func WriteDataFile(m *Module, path string) error {
	f, err := safefile.Create(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	return WriteData(m, f, path, f.Commit)
}

// WriteData is WriteDataFile writing to w: the constants' Source names
// path. commit, when not nil, is called after the last byte is written and
// before any Source changes; its error stops WriteData.
func WriteData(m *Module, w io.Writer, path string, commit func() error) error {
	bw := bufio.NewWriter(w)
	var off int64
	type placed struct {
		k   *Constant
		src Source
	}
	var done []placed
	var pad [DataFileAlign]byte
	for _, v := range m.Consts {
		if v.Const == nil || v.Type.DType == String || (v.Type.Shape.NumElements() <= DefaultInlineLimit && !v.Type.DType.IsBlock()) {
			continue
		}
		if r := off % DataFileAlign; r != 0 {
			n, err := bw.Write(pad[:DataFileAlign-r])
			if err != nil {
				return err
			}
			off += int64(n)
		}
		n, err := bw.Write(v.Const.Bytes)
		if err != nil {
			return err
		}
		done = append(done, placed{v.Const, Source{Path: path, Offset: off, Length: int64(n)}})
		off += int64(n)
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if commit != nil {
		if err := commit(); err != nil {
			return err
		}
	}
	for _, p := range done {
		src := p.src
		p.k.Source = &src
	}
	return nil
}

// dataFile is a file that file(...) constants refer to, read or mapped
// once per Parse.
type dataFile struct {
	data []byte
}

// fileData resolves a file(...) reference: the path is relative to
// ParseOptions.BaseDir, the bytes must lie inside the file and match the
// sha256 the text gives. The constant aliases the file's bytes.
func (c *converter) fileData(a *astFile, k *Constant, want int64) error {
	rel, err := c.unquote(a.Path)
	if err != nil {
		return err
	}
	off, err1 := strconv.ParseInt(a.Offset.Value, 10, 64)
	length, err2 := strconv.ParseInt(a.Length.Value, 10, 64)
	if err1 != nil || err2 != nil {
		return c.errorf(a.Offset.Pos, "offset or length out of range")
	}
	if length != want {
		return c.errorf(a.Length.Pos, "length=%d, but the constant's type needs %d bytes", length, want)
	}
	sum, err := c.unquote(a.Sum)
	if err != nil {
		return err
	}
	wantSum, err := hex.DecodeString(sum)
	if err != nil || len(wantSum) != sha256.Size {
		return c.errorf(a.Sum.Pos, "sha256 must be 64 hex digits")
	}
	path := filepath.FromSlash(rel)
	if !filepath.IsAbs(path) && c.opts.BaseDir != "" {
		path = filepath.Join(c.opts.BaseDir, path)
	}
	df := c.files[path]
	if df == nil {
		data, closer, err := mapFile(path)
		if err != nil {
			return c.errorf(a.Path.Pos, "%v", err)
		}
		if closer != nil {
			c.m.AddCloser(closer)
		}
		df = &dataFile{data: data}
		c.files[path] = df
	}
	if off < 0 || off > int64(len(df.data)) || length > int64(len(df.data))-off {
		return c.errorf(a.Offset.Pos, "bytes %d..%d lie beyond the end of %s (%d bytes)", off, off+length, path, len(df.data))
	}
	b := df.data[off : off+length : off+length]
	got := sha256.Sum256(b)
	if hex.EncodeToString(got[:]) != hex.EncodeToString(wantSum) {
		// The computed hash stays out of the message: printing it would
		// let a crafted file() reference reveal a digest of any readable
		// file's bytes.
		return c.errorf(a.Sum.Pos, "sha256 mismatch: %s bytes %d..%d do not match the sha256 the reference gives", path, off, off+length)
	}
	k.Bytes = b
	k.setSHA256(got)
	k.Source = &Source{Path: path, Offset: off, Length: length}
	return nil
}

// readWholeFile is the fallback of mapFile.
func readWholeFile(path string) ([]byte, func() error, error) {
	data, err := safefile.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("data file: %w", err)
	}
	return data, nil, nil
}
