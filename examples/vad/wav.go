package main

import (
	"encoding/binary"
	"fmt"
	"os"
)

// readWAV reads a RIFF WAVE file of 16-bit PCM mono audio and returns its
// samples scaled to [-1, 1) and its sample rate.
func readWAV(path string) ([]float32, int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, err
	}
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, 0, fmt.Errorf("%s: not a RIFF WAVE file", path)
	}
	var rate int
	var haveFmt bool
	for off := 12; off+8 <= len(b); {
		id := string(b[off : off+4])
		size := int(binary.LittleEndian.Uint32(b[off+4:]))
		body := b[off+8:]
		if size > len(body) {
			// espeak-ng writes 0x7ffff000 as the data size when it cannot
			// seek back; take what is there.
			size = len(body)
		}
		body = body[:size]
		switch id {
		case "fmt ":
			if size < 16 {
				return nil, 0, fmt.Errorf("%s: short fmt chunk", path)
			}
			format := binary.LittleEndian.Uint16(body[0:])
			channels := binary.LittleEndian.Uint16(body[2:])
			bits := binary.LittleEndian.Uint16(body[14:])
			if format != 1 || channels != 1 || bits != 16 {
				return nil, 0, fmt.Errorf("%s: format %d, %d channels, %d bits; want PCM (1), mono, 16 bits", path, format, channels, bits)
			}
			rate = int(binary.LittleEndian.Uint32(body[4:]))
			haveFmt = true
		case "data":
			if !haveFmt {
				return nil, 0, fmt.Errorf("%s: data chunk before fmt chunk", path)
			}
			out := make([]float32, size/2)
			for i := range out {
				out[i] = float32(int16(binary.LittleEndian.Uint16(body[2*i:]))) / 32768
			}
			return out, rate, nil
		}
		off += 8 + size + size%2 // chunks are padded to even sizes
	}
	return nil, 0, fmt.Errorf("%s: no data chunk", path)
}
