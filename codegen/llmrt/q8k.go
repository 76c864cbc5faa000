package llmrt

import (
	"encoding/binary"
	"math"
)

// q8KScale returns a Q8_K activation block's float32 scale.
func q8KScale(y []byte) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(y)) }

// q8KSum returns the sum of the 16 codes of group g of a Q8_K block.
func q8KSum(y []byte, g int) int32 { return int32(int16(binary.LittleEndian.Uint16(y[260+2*g:]))) }

// dot32i8 is the exact dot product of 32 unpacked codes with 32 int8
// activation codes.
func dot32i8(c *[32]int8, y *[32]byte) int32 {
	var s0, s1 int32
	for l := 0; l < 32; l += 2 {
		s0 += int32(c[l]) * int32(int8(y[l]))
		s1 += int32(c[l+1]) * int32(int8(y[l+1]))
	}
	return s0 + s1
}
