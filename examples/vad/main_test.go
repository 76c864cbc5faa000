package main

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestSegments(t *testing.T) {
	hi, lo, mid := float32(0.9), float32(0.1), float32(0.4)
	rep := func(x float32, n int) []float32 {
		out := make([]float32, n)
		for i := range out {
			out[i] = x
		}
		return out
	}
	cat := func(parts ...[]float32) []float32 {
		var out []float32
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	tests := []struct {
		name string
		p    []float32
		want [][2]int
	}{
		{"silence", rep(lo, 20), nil},
		{"one segment", cat(rep(lo, 5), rep(hi, 10), rep(lo, 10)), [][2]int{{5, 15}}},
		// A short dip below the end threshold does not end speech, nor
		// does a probability between the two thresholds.
		{"dip", cat(rep(hi, 5), rep(lo, 3), rep(mid, 10), rep(hi, 2), rep(lo, 9)), [][2]int{{0, 20}}},
		{"too short", cat(rep(hi, 2), rep(lo, 10)), nil},
		{"to the end", cat(rep(lo, 2), rep(hi, 5)), [][2]int{{2, 7}}},
		{"two", cat(rep(hi, 4), rep(lo, 8), rep(hi, 4), rep(lo, 8)), [][2]int{{0, 4}, {12, 16}}},
	}
	for _, tt := range tests {
		if got := segments(tt.p); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestReadWAV(t *testing.T) {
	samples := []int16{0, 16384, -32768, 32767}
	var b []byte
	b = append(b, "RIFF"...)
	b = binary.LittleEndian.AppendUint32(b, uint32(36+2*len(samples)))
	b = append(b, "WAVEfmt "...)
	b = binary.LittleEndian.AppendUint32(b, 16)
	b = binary.LittleEndian.AppendUint16(b, 1)     // PCM
	b = binary.LittleEndian.AppendUint16(b, 1)     // mono
	b = binary.LittleEndian.AppendUint32(b, 16000) // rate
	b = binary.LittleEndian.AppendUint32(b, 32000) // byte rate
	b = binary.LittleEndian.AppendUint16(b, 2)     // block align
	b = binary.LittleEndian.AppendUint16(b, 16)    // bits
	b = append(b, "data"...)
	b = binary.LittleEndian.AppendUint32(b, 0x7ffff000) // unknown size, as espeak-ng writes to pipes
	for _, s := range samples {
		b = binary.LittleEndian.AppendUint16(b, uint16(s))
	}
	p := filepath.Join(t.TempDir(), "x.wav")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	got, rate, err := readWAV(p)
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{0, 0.5, -1, 32767.0 / 32768}
	if rate != 16000 || !reflect.DeepEqual(got, want) {
		t.Errorf("got %v at %d Hz, want %v at 16000 Hz", got, rate, want)
	}
	if err := os.WriteFile(p, []byte("RIFF\x00\x00\x00\x00AVI "), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := readWAV(p); err == nil {
		t.Error("want an error for a non-WAVE file")
	}
}
