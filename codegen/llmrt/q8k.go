package llmrt

import (
	"encoding/binary"
	"math"
)

// q8KScale returns a Q8_K activation block's float32 scale.
func q8KScale(y []byte) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(y)) }

// q8KSum returns the sum of the 16 codes of group g of a Q8_K block.
func q8KSum(y []byte, g int) int32 { return int32(int16(binary.LittleEndian.Uint16(y[260+2*g:]))) }
