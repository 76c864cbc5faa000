package ir

import (
	"crypto/sha256"
	"sync"
	"sync/atomic"
)

// constHash caches a constant's SHA-256. Printing a module after every pass
// names each file-backed constant by its hash; weights run to gigabytes, so
// they are hashed once per constant, not once per print.
type constHash struct {
	mu   sync.Mutex
	data *byte // first byte of the slice the sum is for (nil when empty)
	n    int   // its length
	ok   bool
	sum  [sha256.Size]byte
}

// constHashes counts the SHA-256 computations of constants' bytes, so tests
// can check that the cache holds.
var constHashes atomic.Int64

// sliceKey identifies a byte slice by where it starts and how long it is.
func sliceKey(b []byte) (*byte, int) {
	if len(b) == 0 {
		return nil, 0
	}
	return &b[0], len(b)
}

// SHA256 returns the SHA-256 of c.Bytes. It is computed on the first call
// and cached; later calls, from any goroutine, return the cached sum. The
// cache is keyed by the slice itself (start and length), so assigning new
// Bytes invalidates it; Bytes are never changed in place.
func (c *Constant) SHA256() [sha256.Size]byte {
	h := &c.hash
	data, n := sliceKey(c.Bytes)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.ok && h.data == data && h.n == n {
		return h.sum
	}
	constHashes.Add(1)
	h.data, h.n, h.ok, h.sum = data, n, true, sha256.Sum256(c.Bytes)
	return h.sum
}

// setSHA256 records sum as the SHA-256 of c.Bytes, for callers that have
// just computed or verified it (the parser checks file(...) sums).
func (c *Constant) setSHA256(sum [sha256.Size]byte) {
	h := &c.hash
	h.mu.Lock()
	defer h.mu.Unlock()
	h.data, h.n = sliceKey(c.Bytes)
	h.ok, h.sum = true, sum
}

// copyHashTo gives d the sum cached for c when d holds the same bytes, so
// that a clone of a module does not hash its weights again.
func (c *Constant) copyHashTo(d *Constant) {
	h := &c.hash
	h.mu.Lock()
	data, n := sliceKey(c.Bytes)
	ok, sum := h.ok && h.data == data && h.n == n, h.sum
	h.mu.Unlock()
	if dd, dn := sliceKey(d.Bytes); ok && dd == data && dn == n {
		d.setSHA256(sum)
	}
}
