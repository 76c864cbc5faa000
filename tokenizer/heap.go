package tokenizer

// ranked is a merge candidate a mergeQueue can order: before reports
// whether it pops ahead of another.
type ranked[T any] interface {
	before(other T) bool
}

// mergeQueue is a binary heap of merge candidates, popping first the one
// that comes before all others. (Written out rather than through
// container/heap: a queue can hold a candidate per symbol of a whole
// text, and the interface calls cost more than the comparisons.)
type mergeQueue[T ranked[T]] []T

func (q *mergeQueue[T]) push(b T) {
	*q = append(*q, b)
	h := *q
	for i := len(h) - 1; i > 0; {
		p := (i - 1) / 2
		if !h[i].before(h[p]) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
}

func (q *mergeQueue[T]) pop() T {
	h := *q
	top := h[0]
	n := len(h) - 1
	h[0] = h[n]
	h = h[:n]
	for i := 0; ; {
		c := 2*i + 1
		if c >= n {
			break
		}
		if c+1 < n && h[c+1].before(h[c]) {
			c++
		}
		if !h[c].before(h[i]) {
			break
		}
		h[i], h[c] = h[c], h[i]
		i = c
	}
	*q = h
	return top
}
