package codegen

import (
	"fmt"
	"strings"

	"github.com/kiln-ml/kiln/ir"
)

// weightAlign is the byte alignment of each tensor in the weights blob.
const weightAlign = 64

// blobLen is the weights blob's length in bytes.
func (g *graph) blobLen() int64 {
	var n int64
	for _, w := range g.weights {
		n = (n+weightAlign-1)/weightAlign*weightAlign + int64(len(w.weightBytes()))
	}
	return n
}

// weightsBlob lays out every weight the kernels read, in the order they
// are first read, each at a 64-byte aligned offset, little-endian (the
// constants' own byte order), and records the offsets.
func (g *graph) weightsBlob() []byte {
	blob := make([]byte, 0, g.blobLen())
	g.weightOff = make([]int64, len(g.weights))
	for i, w := range g.weights {
		for len(blob)%weightAlign != 0 {
			blob = append(blob, 0)
		}
		g.weightOff[i] = int64(len(blob))
		blob = append(blob, w.weightBytes()...)
	}
	return blob
}

// mmapGOOS is the build constraint of the generated weights_mmap.go: the
// systems whose syscall package maps files (syscall.Mmap). Everywhere
// else, wasip1 and js/wasm, windows and plan9 included, weights_read.go
// reads the file into memory instead.
const mmapGOOS = "linux || darwin || freebsd || netbsd || openbsd || dragonfly"

// Names of the Go files a --weights file package adds to model.go.
const (
	weightsFileGo = "weights_file.go"
	weightsMmapGo = "weights_mmap.go"
	weightsReadGo = "weights_read.go"
)

// weightsFileSources returns the Go files of a --weights file package
// that find, check and map weights.bin: Load and LoadFile in
// weights_file.go, the memory mapping for unix systems in
// weights_mmap.go, and the plain read for the others in weights_read.go.
//
// The model's weight slices alias the blob on little-endian hosts (every
// tensor sits at a 64-byte aligned offset of a page-aligned mapping or of
// a heap allocation, so each is aligned for its element type): the
// weights are not copied, and processes running the same binary share the
// mapped pages. On big-endian hosts they are decoded as the embedded mode
// does. The mapping lives as long as the process: the model's slices
// point into it.
func (g *graph) weightsFileSources(opts Options) map[string]string {
	hasI64 := false
	for _, w := range g.weights {
		if w.dtype == ir.I64 {
			hasI64 = true
		}
	}
	var b strings.Builder
	b.WriteString(header(opts))
	fmt.Fprintf(&b, `package %[1]s

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"unsafe"
)

// Load reads the weights from %[2]s in the folder of the running
// executable (see LoadFile).
func Load() (*Model, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("weights: finding the executable's folder to read %[2]s from: %%w (call LoadFile with its path)", err)
	}
	return LoadFile(filepath.Join(filepath.Dir(exe), %[2]q))
}

// LoadFile maps the weights file at path into memory (reads it where the
// system cannot map files) and checks its size and SHA-256 against the
// blob this package was generated with. The error names the path and,
// for a file that differs, the expected and actual size or hash.
func LoadFile(path string) (*Model, error) {
	blob, release, err := readWeights(path)
	if err != nil {
		return nil, fmt.Errorf("weights: %%w", err)
	}
	if len(blob) != weightsSize {
		release()
		return nil, fmt.Errorf("weights %%s: %%d bytes, want %%d (truncated, or from another compile)", path, len(blob), weightsSize)
	}
	sum := sha256.Sum256(blob)
	if got := hex.EncodeToString(sum[:]); got != weightsSHA256 {
		release()
		return nil, fmt.Errorf("weights %%s: sha256 %%s, want %%s (corrupt, or from another compile)", path, got, weightsSHA256)
	}
	if !littleEndian() {
		defer release()
		return newModel(blob)
	}
	return viewModel(blob), nil
}

// littleEndian reports whether the host stores integers least significant
// byte first, as the blob does.
func littleEndian() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}

// viewModel returns a model whose weight slices alias blob. The host must
// be little-endian; every tensor's offset is a multiple of 64 bytes.
func viewModel(blob []byte) *Model {
	m := &Model{}
	for i, w := range weightTable {
		m.weights[i] = []float32{}
		if w.n > 0 {
			m.weights[i] = unsafe.Slice((*float32)(unsafe.Pointer(&blob[w.off])), w.n)
		}
	}
`, opts.Package, WeightsFileName)
	if hasI64 {
		b.WriteString(`	for i, w := range weightTableI64 {
		m.weightsI64[i] = []int64{}
		if w.n > 0 {
			m.weightsI64[i] = unsafe.Slice((*int64)(unsafe.Pointer(&blob[w.off])), w.n)
		}
	}
`)
	}
	b.WriteString("\treturn m\n}\n")
	files := map[string]string{weightsFileGo: b.String()}

	files[weightsMmapGo] = header(opts) + fmt.Sprintf(`//go:build %[2]s

package %[1]s

import (
	"fmt"
	"os"
	"syscall"
)

// readWeights maps the regular file at path read-only. release unmaps it;
// LoadFile calls it only when it refuses the file, since the model's
// weights point into the mapping.
func readWeights(path string) (blob []byte, release func(), err error) {
	f, err := openRegular(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	size := st.Size()
	if size != int64(int(size)) {
		return nil, nil, fmt.Errorf("%%s: %%d bytes, too large to map", path, size)
	}
	if size == 0 {
		// mmap refuses length 0; LoadFile reports the size.
		return []byte{}, func() {}, nil
	}
	blob, err = syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, nil, fmt.Errorf("mapping %%s: %%w", path, err)
	}
	return blob, func() { syscall.Munmap(blob) }, nil
}

// openRegular opens path for reading, refusing anything but a regular
// file (a FIFO or a device could block or never end).
func openRegular(path string) (*os.File, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%%s: not a regular file (%%s)", path, st.Mode().Type())
	}
	return os.Open(path)
}
`, opts.Package, mmapGOOS)

	files[weightsReadGo] = header(opts) + fmt.Sprintf(`//go:build !(%[2]s)

package %[1]s

import (
	"fmt"
	"os"
)

// readWeights reads the regular file at path into memory: this system
// cannot map files.
func readWeights(path string) (blob []byte, release func(), err error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("%%s: not a regular file (%%s)", path, st.Mode().Type())
	}
	blob, err = os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	return blob, func() {}, nil
}
`, opts.Package, mmapGOOS)
	return files
}
