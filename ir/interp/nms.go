package interp

import (
	"fmt"
	"math"
	"sort"

	"github.com/kiln-ml/kiln/ir"
)

func init() { Register("NonMaxSuppression", kernelNonMaxSuppression) }

// nmsBox is a box as min/max corners, whatever order the input gave them.
type nmsBox struct{ y0, x0, y1, x1 float64 }

func (b nmsBox) area() float64 { return (b.y1 - b.y0) * (b.x1 - b.x0) }

func nmsIoU(a, b nmsBox) float64 {
	h := math.Min(a.y1, b.y1) - math.Max(a.y0, b.y0)
	w := math.Min(a.x1, b.x1) - math.Max(a.x0, b.x0)
	if h <= 0 || w <= 0 {
		return 0
	}
	inter := h * w
	union := a.area() + b.area() - inter
	if union <= 0 {
		return 0
	}
	return inter / union
}

func kernelNonMaxSuppression(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 2, 5)
	if err != nil {
		return nil, err
	}
	boxesT, scoresT := ts[0], ts[1]
	if boxesT.Rank() != 3 || boxesT.Shape[2] != 4 {
		return nil, fmt.Errorf("boxes must be [batches, boxes, 4], got %v", boxesT.Shape)
	}
	if scoresT.Rank() != 3 || scoresT.Shape[0] != boxesT.Shape[0] || scoresT.Shape[2] != boxesT.Shape[1] {
		return nil, fmt.Errorf("scores shape %v does not match boxes %v", scoresT.Shape, boxesT.Shape)
	}
	maxOut := int64(0)
	if t := ts[2]; t != nil && t.Len() > 0 {
		if maxOut, err = scalarIntOperand(t, "max_output_boxes_per_class"); err != nil {
			return nil, err
		}
	}
	iouThr := 0.0
	if t := ts[3]; t != nil && t.Len() > 0 {
		if iouThr, err = scalarRealOperand(t, "iou_threshold"); err != nil {
			return nil, err
		}
		if iouThr < 0 || iouThr > 1 {
			return nil, fmt.Errorf("iou_threshold %g is outside [0, 1]", iouThr)
		}
	}
	scoreThr, hasScoreThr := 0.0, false
	if t := ts[4]; t != nil && t.Len() > 0 {
		if scoreThr, err = scalarRealOperand(t, "score_threshold"); err != nil {
			return nil, err
		}
		hasScoreThr = true
	}
	bv, err := numericAsF64(boxesT)
	if err != nil {
		return nil, fmt.Errorf("boxes: %w", err)
	}
	sv, err := numericAsF64(scoresT)
	if err != nil {
		return nil, fmt.Errorf("scores: %w", err)
	}
	center := op.Int("center_point_box") == 1
	batches, nbox, classes := boxesT.Shape[0], boxesT.Shape[1], scoresT.Shape[1]
	box := func(b, i int) nmsBox {
		v := bv[(b*nbox+i)*4 : (b*nbox+i)*4+4]
		if center {
			// [x_center, y_center, width, height]
			return nmsBox{v[1] - v[3]/2, v[0] - v[2]/2, v[1] + v[3]/2, v[0] + v[2]/2}
		}
		return nmsBox{math.Min(v[0], v[2]), math.Min(v[1], v[3]), math.Max(v[0], v[2]), math.Max(v[1], v[3])}
	}
	var sel []int64
	for b := 0; b < batches; b++ {
		for cl := 0; cl < classes; cl++ {
			scores := sv[(b*classes+cl)*nbox : (b*classes+cl+1)*nbox]
			var cand []int
			for i, s := range scores {
				if !hasScoreThr || s > scoreThr {
					cand = append(cand, i)
				}
			}
			// Highest score first; equal scores keep the lower box index first.
			sort.SliceStable(cand, func(i, j int) bool { return scores[cand[i]] > scores[cand[j]] })
			var kept []int
			for _, i := range cand {
				if int64(len(kept)) >= maxOut {
					break
				}
				ok := true
				for _, k := range kept {
					if nmsIoU(box(b, i), box(b, k)) > iouThr {
						ok = false
						break
					}
				}
				if ok {
					kept = append(kept, i)
					sel = append(sel, int64(b), int64(cl), int64(i))
				}
			}
		}
	}
	if sel == nil {
		sel = []int64{}
	}
	return []Value{FromSlice([]int{len(sel) / 3, 3}, sel)}, nil
}
