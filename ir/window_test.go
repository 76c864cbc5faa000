package ir

import (
	"reflect"
	"testing"
)

func TestWindowResolve(t *testing.T) {
	tests := []struct {
		name    string
		w       Window
		in      int64
		autoPad string
		ceil    bool
		out     int64
		pb, pe  int64
	}{
		{"valid 3 over 5", Window{Kernel: 3, Stride: 1, Dilation: 1}, 5, "VALID", false, 3, 0, 0},
		{"explicit pads", Window{Kernel: 3, Stride: 2, Dilation: 1, PadBegin: 1, PadEnd: 1}, 5, "NOTSET", false, 3, 1, 1},
		{"same upper odd total", Window{Kernel: 2, Stride: 1, Dilation: 1}, 4, "SAME_UPPER", false, 4, 0, 1},
		{"same lower odd total", Window{Kernel: 2, Stride: 1, Dilation: 1}, 4, "SAME_LOWER", false, 4, 1, 0},
		{"same upper stride 2 (mnist-8 style)", Window{Kernel: 5, Stride: 2, Dilation: 1}, 28, "SAME_UPPER", false, 14, 1, 2},
		{"dilation", Window{Kernel: 2, Stride: 1, Dilation: 2}, 4, "NOTSET", false, 2, 0, 0},
		{"ceil keeps partial window", Window{Kernel: 3, Stride: 2, Dilation: 1}, 4, "NOTSET", true, 2, 0, 0},
		{"ceil drops window starting in padding", Window{Kernel: 2, Stride: 2, Dilation: 1, PadEnd: 1}, 4, "NOTSET", true, 2, 0, 1},
		{"floor", Window{Kernel: 3, Stride: 2, Dilation: 1}, 4, "NOTSET", false, 1, 0, 0},
	}
	for _, tc := range tests {
		out, r, err := tc.w.Resolve(tc.in, tc.autoPad, tc.ceil)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if out != tc.out || r.PadBegin != tc.pb || r.PadEnd != tc.pe {
			t.Errorf("%s: got out %d pads %d,%d; want %d pads %d,%d", tc.name, out, r.PadBegin, r.PadEnd, tc.out, tc.pb, tc.pe)
		}
	}
	if _, _, err := (Window{Kernel: 5, Stride: 1, Dilation: 1}).Resolve(3, "VALID", false); err == nil {
		t.Error("window larger than input: want an error")
	}
	if _, _, err := (Window{Kernel: 1, Stride: 0, Dilation: 1}).Resolve(3, "NOTSET", false); err == nil {
		t.Error("stride 0: want an error")
	}
}

func TestPlanEinsum(t *testing.T) {
	tests := []struct {
		eq     string
		ranks  []int
		inputs [][]int
		output []int
	}{
		{"ij,jk->ik", []int{2, 2}, [][]int{{0, 1}, {1, 2}}, []int{0, 2}},
		{"ij,jk", []int{2, 2}, [][]int{{0, 1}, {1, 2}}, []int{0, 2}},
		{"ba", []int{2}, [][]int{{0, 1}}, []int{1, 0}}, // implicit output is alphabetical
		{"ii->i", []int{2}, [][]int{{0, 0}}, []int{0}},
		{"...ii->...i", []int{4}, [][]int{{0, 1, 2, 2}}, []int{0, 1, 2}},
		{"...ij,...jk", []int{3, 2}, [][]int{{0, 1, 2}, {2, 3}}, []int{0, 1, 3}},
		{"i,i", []int{1, 1}, [][]int{{0}, {0}}, nil},
	}
	for _, tc := range tests {
		p, err := PlanEinsum(tc.eq, tc.ranks)
		if err != nil {
			t.Errorf("%s: %v", tc.eq, err)
			continue
		}
		if !reflect.DeepEqual(p.Inputs, tc.inputs) || !reflect.DeepEqual(p.Output, tc.output) {
			t.Errorf("%s: got %v -> %v; want %v -> %v", tc.eq, p.Inputs, p.Output, tc.inputs, tc.output)
		}
	}
	for _, bad := range []struct {
		eq    string
		ranks []int
	}{{"ij->k", []int{2}}, {"ijk", []int{2}}, {"ij,jk", []int{2}}, {"i.j", []int{2}}} {
		if _, err := PlanEinsum(bad.eq, bad.ranks); err == nil {
			t.Errorf("%s on ranks %v: want an error", bad.eq, bad.ranks)
		}
	}
}
