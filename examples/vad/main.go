// Command vad is kiln's demo: it imports the Silero VAD v5 voice activity
// detector (ONNX, with If subgraphs and an LSTM), prints a summary of the
// imported IR, runs the model in kiln's reference interpreter over a 16 kHz
// mono WAV file one 512-sample frame at a time, carrying the LSTM state from
// frame to frame, and prints the speech segments it finds. With -compiled
// it also runs the model compiled to Go by kiln compile (the runner in
// compiled/main.go, built by demo.sh) on the same frames and prints its
// latency and segments beside the interpreter's. `make demo` fetches the
// model and makes the speech; see demo.sh.
package main

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kiln-ml/kiln/frontend/onnx"
	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/interp"
	"github.com/kiln-ml/kiln/ir/tensor"
)

// Frame and state sizes of Silero VAD v5 at 16 kHz, as the vad-web package
// the model comes from feeds it: 512 samples (32 ms) per call, state
// [2, batch, 128].
const (
	sampleRate  = 16000
	frameLen    = 512
	stateLayers = 2
	stateWidth  = 128
)

// Segmentation settings: speech starts at a probability of at least
// startThreshold and ends after endFrames frames below endThreshold
// (hysteresis, as vad-web does); shorter segments than minFrames are noise.
const (
	startThreshold = 0.5
	endThreshold   = 0.35
	endFrames      = 8 // 256 ms
	minFrames      = 3 // 96 ms
)

func main() {
	model := flag.String("model", "", "Silero VAD v5 ONNX model")
	wav := flag.String("wav", "", "16 kHz mono 16-bit PCM WAV file")
	verbose := flag.Bool("v", false, "print every frame's speech probability")
	compiled := flag.String("compiled", "", "also run this build of compiled/main.go (the model compiled by kiln compile) on the same frames")
	flag.Parse()
	if *model == "" || *wav == "" || flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: vad -model silero_vad_v5.onnx -wav speech.wav [-compiled BIN] [-v]")
		os.Exit(2)
	}
	if err := run(*model, *wav, *compiled, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "vad:", err)
		os.Exit(1)
	}
}

func run(modelPath, wavPath, compiled string, verbose bool) error {
	start := time.Now()
	m, err := onnx.Import(modelPath)
	if err != nil {
		return err
	}
	defer m.Close()
	fmt.Printf("imported %s in %v\n", modelPath, time.Since(start).Round(time.Millisecond))
	printSummary(m)

	samples, rate, err := readWAV(wavPath)
	if err != nil {
		return err
	}
	if rate != sampleRate {
		return fmt.Errorf("%s: %d Hz, want %d Hz", wavPath, rate, sampleRate)
	}
	nframes := len(samples) / frameLen
	fmt.Printf("\naudio: %s, %.2f s, %d frames of %d samples\n", wavPath, float64(len(samples))/sampleRate, nframes, frameLen)

	probs, el, err := interpFrames(m, samples, nframes)
	if err != nil {
		return err
	}
	if verbose {
		for i, p := range probs {
			fmt.Printf("  %6.3f s  p=%.3f\n", frameTime(i), p)
		}
	}
	interpMs := msPerFrame(el, nframes)
	fmt.Printf("ran %d frames in the interpreter in %v (%.2f ms per frame)\n", nframes, el.Round(time.Millisecond), interpMs)
	fmt.Printf("\nspeech segments (p >= %.2f to start, %d frames < %.2f to end):\n", startThreshold, endFrames, endThreshold)
	printSegments(segments(probs))
	if compiled == "" {
		return nil
	}

	cprobs, cel, err := compiledFrames(compiled, samples, nframes)
	if err != nil {
		return err
	}
	worst := 0.0
	for i := range probs {
		worst = max(worst, math.Abs(float64(cprobs[i])-float64(probs[i])))
	}
	compMs := msPerFrame(cel, nframes)
	fmt.Printf("\ncompiled (kiln compile, %s): %d frames in %v (%.3f ms per frame, %.1fx the interpreter's speed); speech probabilities within %.2g of the interpreter's\n",
		compiled, nframes, cel.Round(time.Microsecond), compMs, interpMs/compMs, worst)
	fmt.Println("speech segments, compiled:")
	printSegments(segments(cprobs))
	fmt.Printf("\nlatency per 512-sample frame: interpreter %.2f ms, compiled %.3f ms\n", interpMs, compMs)
	return nil
}

// interpFrames runs m in the interpreter over the first nframes frames of
// samples, carrying the state from frame to frame, and returns each
// frame's speech probability and the time spent running.
func interpFrames(m *ir.Module, samples []float32, nframes int) ([]float32, time.Duration, error) {
	// Outputs by name: the probability and the next state.
	probAt, stateAt := outputIndex(m.Funcs[0], "output", 0), outputIndex(m.Funcs[0], "stateN", 1)
	in := interp.New(m, interp.Options{})
	state := tensor.New(ir.F32, []int{stateLayers, 1, stateWidth})
	sr := tensor.Scalar(int64(sampleRate))
	probs := make([]float32, nframes)
	start := time.Now()
	for i := 0; i < nframes; i++ {
		frame := tensor.FromSlice([]int{1, frameLen}, append([]float32{}, samples[i*frameLen:(i+1)*frameLen]...))
		out, err := in.RunNamed("", map[string]tensor.Value{"input": frame, "state": state, "sr": sr})
		if err != nil {
			return nil, 0, fmt.Errorf("frame %d: %w", i, err)
		}
		p, ok := out[probAt].(*tensor.Tensor)
		if !ok || p.DType != ir.F32 || p.Len() != 1 {
			return nil, 0, fmt.Errorf("frame %d: output is %v, want one float32", i, out[probAt].Type())
		}
		probs[i] = tensor.Data[float32](p)[0]
		if state, ok = out[stateAt].(*tensor.Tensor); !ok {
			return nil, 0, fmt.Errorf("frame %d: state output is %v", i, out[stateAt].Type())
		}
	}
	return probs, time.Since(start), nil
}

// compiledFrames runs the compiled runner bin (compiled/main.go) on the
// first nframes frames of samples: it writes them as little-endian
// float32s on the runner's stdin and reads one probability per line, then
// "run_ns N", the time the runner spent in Run.
func compiledFrames(bin string, samples []float32, nframes int) ([]float32, time.Duration, error) {
	raw := make([]byte, 0, 4*nframes*frameLen)
	for _, x := range samples[:nframes*frameLen] {
		raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(x))
	}
	cmd := exec.Command(bin)
	cmd.Stdin = bytes.NewReader(raw)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %v: %s", bin, err, strings.TrimSpace(stderr.String()))
	}
	lines := strings.Fields(string(out))
	if len(lines) != nframes+2 || lines[nframes] != "run_ns" {
		return nil, 0, fmt.Errorf("%s: %d fields of output, want %d probabilities and run_ns", bin, len(lines), nframes)
	}
	probs := make([]float32, nframes)
	for i := range probs {
		p, err := strconv.ParseFloat(lines[i], 32)
		if err != nil {
			return nil, 0, fmt.Errorf("%s: frame %d: %v", bin, i, err)
		}
		probs[i] = float32(p)
	}
	ns, err := strconv.ParseInt(lines[nframes+1], 10, 64)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: run_ns: %v", bin, err)
	}
	return probs, time.Duration(ns), nil
}

func msPerFrame(d time.Duration, nframes int) float64 {
	return float64(d.Nanoseconds()) / 1e6 / float64(max(nframes, 1))
}

func printSegments(segs [][2]int) {
	if len(segs) == 0 {
		fmt.Println("  none")
	}
	for _, s := range segs {
		fmt.Printf("  %6.2f s - %6.2f s\n", frameTime(s[0]), frameTime(s[1]))
	}
}

// outputIndex returns the position of f's output name, or def when f has
// no output of that name.
func outputIndex(f *ir.Func, name string, def int) int {
	if i := slices.Index(f.OutputNames, name); i >= 0 {
		return i
	}
	return def
}

func frameTime(i int) float64 { return float64(i*frameLen) / sampleRate }

// segments turns per-frame speech probabilities into [start, end) frame
// ranges.
func segments(p []float32) [][2]int {
	var out [][2]int
	inSpeech, start, quiet := false, 0, 0
	for i, x := range p {
		switch {
		case !inSpeech && x >= startThreshold:
			inSpeech, start, quiet = true, i, 0
		case inSpeech && x < endThreshold:
			quiet++
			if quiet >= endFrames {
				if end := i - quiet + 1; end-start >= minFrames {
					out = append(out, [2]int{start, end})
				}
				inSpeech = false
			}
		case inSpeech:
			quiet = 0
		}
	}
	if inSpeech && len(p)-start >= minFrames {
		out = append(out, [2]int{start, len(p) - quiet})
	}
	return out
}

// printSummary prints what the importer made of the model: op counts
// (subgraphs included), constants and the function's signature.
func printSummary(m *ir.Module) {
	counts := map[string]int{}
	var regions, ops int
	var walk func(r *ir.Region)
	walk = func(r *ir.Region) {
		regions++
		for _, op := range r.Ops {
			counts[op.Name]++
			ops++
			for _, sub := range op.Regions {
				walk(sub)
			}
		}
	}
	for _, f := range m.Funcs {
		walk(f.Body)
	}
	var bytes int
	for _, c := range m.Consts {
		bytes += len(c.Const.Bytes)
	}
	fmt.Printf("\nIR summary: %d ops in %d regions, %d constants (%d bytes)\n", ops, regions, len(m.Consts), bytes)
	names := make([]string, 0, len(counts))
	for n := range counts {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		if counts[names[i]] != counts[names[j]] {
			return counts[names[i]] > counts[names[j]]
		}
		return names[i] < names[j]
	})
	var parts []string
	for _, n := range names {
		parts = append(parts, fmt.Sprintf("%s %d", n, counts[n]))
	}
	fmt.Printf("  ops: %s\n", strings.Join(parts, ", "))
	for _, f := range m.Funcs {
		for i, p := range f.Body.Params {
			fmt.Printf("  input  %-8s %v\n", f.InputNames[i], p.Type)
		}
		for i, r := range f.Body.Results {
			fmt.Printf("  output %-8s %v\n", f.OutputNames[i], r.Type)
		}
	}
	for _, e := range m.Meta {
		fmt.Printf("  %s: %s\n", e.Key, e.Value)
	}
}
