// Package suggest finds the name a user probably meant: the closest of a
// list of candidates by edit distance, for "did you mean" hints on
// mistyped commands, inputs, dims, ops and attributes.
//
// suggest imports only the standard library, so every layer of kiln may
// use it, ir included.
package suggest

import "strings"

// Closest returns the candidate nearest to s by edit distance, ignoring
// case, or "" when none is within a third of the longer name (at least 1,
// at most 3 edits). Of equally near candidates the first wins; a candidate
// equal to s is never returned, since s was not found among them.
func Closest(s string, candidates []string) string {
	best, bestD := "", 0
	ls := strings.ToLower(s)
	for _, c := range candidates {
		if c == s {
			continue
		}
		d := Distance(ls, strings.ToLower(c))
		limit := min(max(max(len(s), len(c))/3, 1), 3)
		if d <= limit && (best == "" || d < bestD) {
			best, bestD = c, d
		}
	}
	return best
}

// Distance is the edit distance between a and b in bytes, counting an
// insertion, a deletion, a substitution or a swap of two neighbours ("rnu"
// for "run") as one edit.
func Distance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
