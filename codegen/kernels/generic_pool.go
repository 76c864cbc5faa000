package kernels

import "fmt"

// MaxUnpool, computed as the interpreter does (the window kernels of the
// tail, ConvTranspose and MaxPool with indices among them, are in
// generic_window.go).

// maxUnpool is MaxUnpool: y (n, c, out...) is zero but for each element
// of x, placed at the spatial coordinates its index (a flat position in
// the pooled input of spatial shape pooled, within x's plane) gives. An
// index outside its plane or the output is an error.
func maxUnpool[T ~float32 | ~float64](x []T, ind []int64, y []T, planes int, pooled, out []int, inPlane int) error {
	srcPlane, outPlane := 1, 1
	for d := range pooled {
		srcPlane *= pooled[d]
		outPlane *= out[d]
	}
	clear(y)
	for i, v := range x[:planes*inPlane] {
		at := ind[i]
		pl := i / inPlane
		off := int(at) - pl*srcPlane
		if at < 0 || off < 0 || off >= srcPlane {
			return fmt.Errorf("MaxUnpool: index %d at %d is outside plane %d of the pooled input", at, i, pl)
		}
		dst := 0
		for d := range pooled {
			st := 1
			for _, e := range pooled[d+1:] {
				st *= e
			}
			coord := off / st
			off %= st
			if coord >= out[d] {
				return fmt.Errorf("MaxUnpool: index %d at %d is outside the output's spatial shape %v", at, i, out)
			}
			dst = dst*out[d] + coord
		}
		y[pl*outPlane+dst] = v
	}
	return nil
}
