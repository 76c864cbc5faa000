//go:build ignore

// Command compiled runs Silero VAD v5 compiled to Go by kiln compile (the
// package vaddemo/silero, standard library only) over audio frames: it
// reads little-endian float32 samples on stdin, runs each 512-sample frame
// at 16 kHz, carrying the state from frame to frame, and writes each
// frame's speech probability on a line of its own, then "run_ns N", the
// nanoseconds spent in Run. examples/vad (-compiled) starts it on the
// frames it gave the interpreter and compares the two.
//
// demo.sh builds it in a module of its own (vaddemo), beside the package
// kiln compile wrote; the ignore constraint keeps it out of kiln's own
// builds, where that package does not exist.
package main

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"time"

	"vaddemo/silero"
)

// Frame and state sizes as examples/vad feeds the model: 512 samples, state
// [2, 1, 128], sample rate 16 kHz.
const (
	frameLen   = 512
	sampleRate = 16000
)

var stateShape = []int{2, 1, 128}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "compiled vad:", err)
		os.Exit(1)
	}
}

func run() error {
	raw, err := io.ReadAll(os.Stdin)
	if err != nil {
		return err
	}
	if len(raw)%(4*frameLen) != 0 {
		return fmt.Errorf("%d bytes on stdin: not whole frames of %d float32 samples", len(raw), frameLen)
	}
	samples := make([]float32, len(raw)/4)
	for i := range samples {
		samples[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	m, err := silero.Load()
	if err != nil {
		return err
	}
	s := m.NewSession()
	state := silero.Tensor{Shape: stateShape, F32: make([]float32, stateShape[0]*stateShape[1]*stateShape[2])}
	sr := silero.Tensor{Shape: []int{}, I64: []int64{sampleRate}}
	w := bufio.NewWriter(os.Stdout)
	var took time.Duration
	for i := 0; i < len(samples); i += frameLen {
		in := map[string]silero.Tensor{
			"input": {Shape: []int{1, frameLen}, F32: samples[i : i+frameLen]},
			"state": state,
			"sr":    sr,
		}
		start := time.Now()
		out, err := s.RunNamed(in)
		took += time.Since(start)
		if err != nil {
			return fmt.Errorf("frame %d: %w", i/frameLen, err)
		}
		p := out["output"].F32
		if len(p) != 1 {
			return fmt.Errorf("frame %d: output has %d values, want 1", i/frameLen, len(p))
		}
		state = out["stateN"]
		w.WriteString(strconv.FormatFloat(float64(p[0]), 'g', -1, 32) + "\n")
	}
	fmt.Fprintf(w, "run_ns %d\n", took.Nanoseconds())
	return w.Flush()
}
