package compiled

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/kiln-ml/kiln/codegen/llmgen"
)

// llmFormat versions the layout of a language-model entry and its server
// main; a change makes old entries unused.
const llmFormat = "kiln-compiled-llm-1"

// LLMOptions configure BuildLLM.
type LLMOptions struct {
	// CacheDir, KilnVersion, BuildID and Progress are as in Options.
	CacheDir    string
	KilnVersion string
	BuildID     string
	Progress    io.Writer
	// Context is the KV cache's positions (0: llmgen's default).
	Context int
	// KVF32 keeps the KV cache in float32.
	KVF32 bool
	// SIMD builds with GOEXPERIMENT=simd: on amd64 with AVX2 and FMA the
	// package then runs its vector block kernels (vec_amd64.go).
	SIMD bool
}

// LLMProgram is a compiled language model built into an executable that
// serves evaluations over its standard input and output.
type LLMProgram struct {
	// Exe is the executable's path in the cache.
	Exe string
	// Cached reports that the entry was there already.
	Cached bool
	// Manifest is the compiled package's manifest.
	Manifest []byte
}

// BuildLLM compiles the GGUF language model at path with llmgen, writes a
// server main beside it and builds both into the cache, keyed by the
// file's sha256, the options, the kiln version and the Go version.
func BuildLLM(ctx context.Context, path string, opts LLMOptions) (*LLMProgram, error) {
	tc, err := findGo(ctx)
	if err != nil {
		return nil, err
	}
	root := opts.CacheDir
	if root == "" {
		if root, err = CacheDir(); err != nil {
			return nil, err
		}
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(raw)
	raw = nil
	key := newHasher()
	key.add(llmFormat, opts.KilnVersion, opts.BuildID, tc.version, runtime.GOOS, runtime.GOARCH,
		hex.EncodeToString(sum[:]), strconv.Itoa(opts.Context), strconv.FormatBool(opts.KVF32), strconv.FormatBool(opts.SIMD))
	dir := filepath.Join(root, key.sum())
	exe := filepath.Join(dir, exeName)
	if _, err := os.Stat(exe); err == nil {
		man, _ := os.ReadFile(filepath.Join(dir, "llm", "manifest.json"))
		return &LLMProgram{Exe: exe, Cached: true, Manifest: man}, nil
	}
	if err := os.MkdirAll(root, 0o777); err != nil {
		return nil, fmt.Errorf("cache folder: %w", err)
	}
	tmp, err := os.MkdirTemp(root, "tmp-")
	if err != nil {
		return nil, fmt.Errorf("cache folder: %w", err)
	}
	defer os.RemoveAll(tmp)
	start := time.Now()
	progress(opts.Progress, "compiling %s", filepath.Base(path))
	pkg, err := llmgen.Compile(path, llmgen.Options{Package: "llm", Context: opts.Context, KVF32: opts.KVF32, KilnVersion: opts.KilnVersion})
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(tmp, "llm"), 0o777); err != nil {
		return nil, err
	}
	for name, b := range pkg.Files {
		if err := os.WriteFile(filepath.Join(tmp, "llm", name), b, 0o666); err != nil {
			return nil, err
		}
	}
	mod := fmt.Sprintf("module %s\n\ngo %s\n", modulePath, tc.goDirective())
	if err := os.WriteFile(filepath.Join(tmp, "go.mod"), []byte(mod), 0o666); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(tmp, "main.go"), []byte(llmMainSource), 0o666); err != nil {
		return nil, err
	}
	progress(opts.Progress, "compiled in %v; building with %s (cached for later runs in %s)", time.Since(start).Round(time.Millisecond), tc.version, root)
	start = time.Now()
	if err := tc.build(ctx, tmp, filepath.Join(tmp, exeName), opts.SIMD); err != nil {
		return nil, err
	}
	progress(opts.Progress, "built in %v", time.Since(start).Round(time.Millisecond))
	if err := publish(tmp, dir); err != nil {
		return nil, err
	}
	man, _ := os.ReadFile(filepath.Join(dir, "llm", "manifest.json"))
	return &LLMProgram{Exe: exe, Manifest: man}, nil
}

// LLMProcess is a running LLMProgram: one session of the compiled model
// in a child process. It implements llm.Engine. It is not safe for
// concurrent use.
type LLMProcess struct {
	cmd     *exec.Cmd
	in      *bufio.Writer
	inPipe  io.WriteCloser
	out     *bufio.Reader
	stderr  strings.Builder
	pos     int
	context int
	vocab   int
}

// Start runs the program with threads goroutines sharing each linear layer
// and the attention's heads.
func (p *LLMProgram) Start(ctx context.Context, threads int) (*LLMProcess, error) {
	cmd := exec.CommandContext(ctx, p.Exe, "serve", strconv.Itoa(max(threads, 1)))
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	lp := &LLMProcess{cmd: cmd, in: bufio.NewWriter(in), inPipe: in, out: bufio.NewReaderSize(out, 1<<16)}
	cmd.Stderr = &lp.stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	var hello [8]byte
	if _, err := io.ReadFull(lp.out, hello[:]); err != nil {
		return nil, lp.fail(err)
	}
	lp.context = int(binary.LittleEndian.Uint32(hello[0:]))
	lp.vocab = int(binary.LittleEndian.Uint32(hello[4:]))
	return lp, nil
}

// fail turns a broken pipe into the child's own message.
func (lp *LLMProcess) fail(err error) error {
	lp.inPipe.Close()
	werr := lp.cmd.Wait()
	msg := strings.TrimSpace(lp.stderr.String())
	if msg == "" && werr != nil {
		msg = werr.Error()
	}
	if msg == "" {
		return fmt.Errorf("compiled model: %v", err)
	}
	return fmt.Errorf("compiled model: %s", msg)
}

// Context returns the positions the compiled KV cache holds.
func (lp *LLMProcess) Context() int { return lp.context }

// Pos returns the number of tokens in the cache.
func (lp *LLMProcess) Pos() int { return lp.pos }

// reply reads a status byte and, on failure, the child's message.
func (lp *LLMProcess) reply() error {
	st, err := lp.out.ReadByte()
	if err != nil {
		return lp.fail(err)
	}
	if st == 0 {
		return nil
	}
	var n [4]byte
	if _, err := io.ReadFull(lp.out, n[:]); err != nil {
		return lp.fail(err)
	}
	msg := make([]byte, binary.LittleEndian.Uint32(n[:]))
	if _, err := io.ReadFull(lp.out, msg); err != nil {
		return lp.fail(err)
	}
	return errors.New(string(msg))
}

// Eval runs ids and returns the logits after each token (all) or the
// last one.
func (lp *LLMProcess) Eval(ids []int32, all bool) ([][]float32, error) {
	req := make([]byte, 6+4*len(ids))
	req[0] = 'E'
	if all {
		req[1] = 1
	}
	binary.LittleEndian.PutUint32(req[2:], uint32(len(ids)))
	for i, id := range ids {
		binary.LittleEndian.PutUint32(req[6+4*i:], uint32(id))
	}
	lp.in.Write(req)
	if err := lp.in.Flush(); err != nil {
		return nil, lp.fail(err)
	}
	if err := lp.reply(); err != nil {
		return nil, err
	}
	rows := 1
	if all {
		rows = len(ids)
	}
	buf := make([]byte, 4*lp.vocab)
	out := make([][]float32, rows)
	for r := range out {
		if _, err := io.ReadFull(lp.out, buf); err != nil {
			return nil, lp.fail(err)
		}
		row := make([]float32, lp.vocab)
		for i := range row {
			row[i] = math.Float32frombits(binary.LittleEndian.Uint32(buf[4*i:]))
		}
		out[r] = row
	}
	lp.pos += len(ids)
	return out, nil
}

// Reset empties the cache.
func (lp *LLMProcess) Reset() error {
	lp.in.WriteByte('R')
	if err := lp.in.Flush(); err != nil {
		return lp.fail(err)
	}
	if err := lp.reply(); err != nil {
		return err
	}
	lp.pos = 0
	return nil
}

// PeakRSS returns the child's peak resident set size in bytes (0 when
// the system does not say).
func (lp *LLMProcess) PeakRSS() (int64, error) {
	lp.in.WriteByte('S')
	if err := lp.in.Flush(); err != nil {
		return 0, lp.fail(err)
	}
	if err := lp.reply(); err != nil {
		return 0, err
	}
	var b [8]byte
	if _, err := io.ReadFull(lp.out, b[:]); err != nil {
		return 0, lp.fail(err)
	}
	return int64(binary.LittleEndian.Uint64(b[:])), nil
}

// Close stops the child.
func (lp *LLMProcess) Close() error {
	lp.in.WriteByte('Q')
	lp.in.Flush()
	lp.inPipe.Close()
	return lp.cmd.Wait()
}

// llmMainSource serves one session of the compiled package: after an
// 8-byte hello (context, vocabulary) it reads requests from standard
// input: 'E' all:u8 n:u32 ids:i32×n (evaluate; the reply is the logits
// rows), 'R' (reset), 'S' (peak RSS), 'Q' (quit). Every reply starts
// with a status byte: 0, or 1 followed by a length-prefixed message.
const llmMainSource = `// Code generated by kiln. DO NOT EDIT.

// Command kiln-compiled serves a compiled language model to kiln over
// its standard input and output (see internal/compiled/llm.go).
package main

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"kilnrun/llm"
)

func main() {
	if err := serve(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func serve(args []string) error {
	if len(args) != 2 || args[0] != "serve" {
		return fmt.Errorf("usage: kiln-compiled serve THREADS")
	}
	threads, err := strconv.Atoi(args[1])
	if err != nil {
		return err
	}
	m, err := llm.New()
	if err != nil {
		return err
	}
	s := m.NewSession()
	s.SetThreads(threads)
	in := bufio.NewReaderSize(os.Stdin, 1<<16)
	out := bufio.NewWriterSize(os.Stdout, 1<<16)
	var b [8]byte
	binary.LittleEndian.PutUint32(b[0:], uint32(llm.ContextLength))
	binary.LittleEndian.PutUint32(b[4:], uint32(m.Config().Vocab))
	out.Write(b[:])
	if err := out.Flush(); err != nil {
		return err
	}
	fail := func(err error) {
		msg := err.Error()
		out.WriteByte(1)
		binary.Write(out, binary.LittleEndian, uint32(len(msg)))
		out.WriteString(msg)
	}
	for {
		op, err := in.ReadByte()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch op {
		case 'E':
			var h [5]byte
			if _, err := io.ReadFull(in, h[:]); err != nil {
				return err
			}
			n := binary.LittleEndian.Uint32(h[1:])
			if n > 1<<24 {
				return fmt.Errorf("request of %d tokens", n)
			}
			raw := make([]byte, 4*n)
			if _, err := io.ReadFull(in, raw); err != nil {
				return err
			}
			ids := make([]int32, n)
			for i := range ids {
				ids[i] = int32(binary.LittleEndian.Uint32(raw[4*i:]))
			}
			var logits []float32
			if h[0] == 1 {
				logits, err = s.PrefillAll(ids)
			} else {
				logits, err = s.Prefill(ids)
			}
			if err != nil {
				fail(err)
				break
			}
			out.WriteByte(0)
			var w [4]byte
			for _, v := range logits {
				binary.LittleEndian.PutUint32(w[:], math.Float32bits(v))
				out.Write(w[:])
			}
		case 'R':
			s.Reset()
			out.WriteByte(0)
		case 'S':
			out.WriteByte(0)
			binary.LittleEndian.PutUint64(b[:], uint64(peakRSS()))
			out.Write(b[:])
		case 'Q':
			return out.Flush()
		default:
			return fmt.Errorf("unknown request %q", op)
		}
		if err := out.Flush(); err != nil {
			return err
		}
	}
}

// peakRSS reads VmHWM from /proc/self/status (0 elsewhere).
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			f := strings.Fields(v)
			if len(f) == 2 && f[1] == "kB" {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n << 10
			}
		}
	}
	return 0
}
`
