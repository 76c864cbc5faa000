package suggest

import "testing"

func TestDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"run", "run", 0},
		{"rnu", "run", 1},  // swap of neighbours
		{"rn", "run", 1},   // insertion
		{"runn", "run", 1}, // deletion
		{"rum", "run", 1},  // substitution
		{"", "abc", 3},
		{"kitten", "sitting", 3},
		{"Reul", "Relu", 1},
	} {
		if got := Distance(tc.a, tc.b); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := Distance(tc.b, tc.a); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tc.b, tc.a, got, tc.want)
		}
	}
}

func TestClosest(t *testing.T) {
	ops := []string{"Relu", "Reshape", "Conv", "ConvTranspose", "Add", "Abs"}
	for _, tc := range []struct {
		s    string
		want string
	}{
		{"Reul", "Relu"},
		{"relu", "Relu"},  // case is ignored
		{"Conv2", "Conv"}, // one edit in five
		{"Ad", "Add"},     // short names allow one edit
		{"Xy", ""},        // two edits in a three-letter name is too far
		{"Transpose", ""}, // far from everything
		{"ConvTransposee", "ConvTranspose"},
		{"Relu", ""},   // the name itself is no suggestion
		{"Abd", "Add"}, // a tie: the first candidate wins
	} {
		if got := Closest(tc.s, ops); got != tc.want {
			t.Errorf("Closest(%q) = %q, want %q", tc.s, got, tc.want)
		}
	}
}
