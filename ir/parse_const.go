package ir

import (
	"errors"
	"math"
	"strconv"
)

// Reading constants' values from the text: each literal is checked against
// the constant's element type and stored little-endian, bit-exact with what
// Print wrote.

func f32frombits(b uint64) float32 { return math.Float32frombits(uint32(b)) }

func sign(neg bool) int {
	if neg {
		return -1
	}
	return 1
}

// isNaNBits reports whether bits is a NaN pattern of float type d.
func isNaNBits(bits uint64, d DType) bool {
	switch d {
	case F64:
		return bits&0x7ff0000000000000 == 0x7ff0000000000000 && bits&0xfffffffffffff != 0
	case F16:
		return bits <= 0xffff && bits&0x7c00 == 0x7c00 && bits&0x3ff != 0
	case BF16:
		return bits <= 0xffff && bits&0x7f80 == 0x7f80 && bits&0x7f != 0
	}
	return bits <= 0xffffffff && bits&0x7f800000 == 0x7f800000 && bits&0x7fffff != 0
}

func canonNaN(d DType) uint64 {
	switch d {
	case F64:
		return canonNaN64
	case F16:
		return canonNaN16
	case BF16:
		return canonNaNBF16
	}
	return canonNaN32
}

// constData stores the literals as the payload of a constant of dtype d.
func (c *converter) constData(d DType, elems []*literal, k *Constant) error {
	if d == String {
		k.Strings = make([]string, len(elems))
		for i, e := range elems {
			if e.kind != litString {
				return c.errorf(e.pos, "expected a string")
			}
			k.Strings[i] = e.text
		}
		return nil
	}
	if d.IsNarrow() {
		codes := make([]byte, len(elems))
		for i, e := range elems {
			v, err := c.narrowLit(d, e)
			if err != nil {
				return err
			}
			codes[i] = v
		}
		k.Bytes = narrowPayload(d, codes)
		return nil
	}
	size := d.Size()
	b := make([]byte, len(elems)*size)
	for i, e := range elems {
		if err := c.storeLit(d, e, b[i*size:]); err != nil {
			return err
		}
	}
	k.Bytes = b
	return nil
}

// narrowPayload returns the byte form of narrow elements given one per
// byte (codes, or int4 values as their low nibble).
func narrowPayload(d DType, codes []byte) []byte {
	if d.IsPacked() {
		return packNibbles(codes)
	}
	return codes
}

// narrowLit reads literal e as one element of narrow type d: an integer
// for i4 and u4, a number (rounded to nearest even), inf where the type
// has infinities, nan or nan(0x..) (a NaN code of the type) for the float
// types. A number beyond the type's range is refused, as for f16.
func (c *converter) narrowLit(d DType, e *literal) (byte, error) {
	switch d {
	case I4:
		if e.kind != litInt {
			return 0, c.errorf(e.pos, "expected an integer")
		}
		v, err := strconv.ParseInt(e.text, 10, 8)
		if e.neg {
			v = -v
		}
		if err != nil || v < -8 || v > 7 {
			return 0, c.errorf(e.pos, "%s out of range for i4", e.text)
		}
		return byte(v) & 0xf, nil
	case U4:
		v, err := c.litUint(e, 8)
		if err != nil {
			return 0, err
		}
		if v > 15 {
			return 0, c.errorf(e.pos, "%d out of range for u4", v)
		}
		return byte(v), nil
	}
	f, _ := MiniFloatOf(d)
	switch e.kind {
	case litNaNBits:
		code, err := strconv.ParseUint(e.text[2:], 16, 8)
		if err != nil || !f.IsNaN(byte(code)) {
			return 0, c.errorf(e.pos, "nan(%s) is not the code of a NaN of %v", e.text, d)
		}
		return byte(code), nil
	case litWord:
		switch {
		case e.text == "inf" && f.Inf:
			return f.Encode(math.Inf(sign(e.neg)), false), nil
		case e.text == "nan" && !e.neg:
			if code, ok := f.NaN(false); ok {
				return code, nil
			}
			return 0, c.errorf(e.pos, "%v has no NaN", d)
		case e.text == "inf":
			return 0, c.errorf(e.pos, "%v has no infinities", d)
		}
		return 0, c.errorf(e.pos, "expected a number, got %q", e.text)
	case litInt, litFloat:
		s := e.text
		if e.neg {
			s = "-" + s
		}
		x, err := strconv.ParseFloat(s, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return 0, c.errorf(e.pos, "bad number %s", s)
		}
		if math.IsInf(x, 0) || !f.InRange(x) {
			return 0, c.errorf(e.pos, "%s out of range for %v", s, d)
		}
		return f.Encode(x, true), nil
	}
	return 0, c.errorf(e.pos, "expected a number")
}

// listData stores the n values of list l as the payload of a constant of
// type t, reading the literals one at a time, so that the payload is the
// only thing that grows with the list. Errors come in the order a
// whole-list reading gives them: a malformed literal first, then a wrong
// count, then the first value that does not fit the element type.
//
// For a block type, n counts the payload's bytes and the list spells them
// as u8 values.
func (c *converter) listData(l *astList, t Type, n int64, k *Constant) error {
	d := t.DType
	if d.IsBlock() {
		d = U8
	}
	size := int64(d.Size())
	if d.IsNarrow() {
		size = 1 // one code per element, packed at the end
	}
	// A literal and its comma take at least two bytes, so no list in the
	// text holds more than len(src)/2+1 values. A larger n fails the count
	// check below; not allocating for it keeps a hostile shape from costing
	// more memory than the text's size times the element size.
	fits := n <= int64(len(c.src))/2+1
	var strs []string
	var b []byte
	if fits {
		if d == String {
			strs = make([]string, n)
		} else {
			b = make([]byte, n*size)
		}
	}
	var count int64
	var firstErr error
	err := c.eachLiteral(l, func(e *literal) error {
		i := count
		count++
		switch {
		case !fits || i >= n || firstErr != nil:
		case d == String && e.kind != litString:
			firstErr = c.errorf(e.pos, "expected a string")
		case d == String:
			strs[i] = e.text
		case d.IsNarrow():
			b[i], firstErr = c.narrowLit(d, e)
		default:
			firstErr = c.storeLit(d, e, b[i*size:])
		}
		return nil
	})
	if err != nil {
		return err
	}
	if count != n && t.DType.IsBlock() {
		return c.errorf(l.Pos, "%d bytes for %v (%d bytes of blocks)", count, t, n)
	}
	if count != n {
		return c.errorf(l.Pos, "%d values for %v (%d elements)", count, t, n)
	}
	if firstErr != nil {
		return firstErr
	}
	switch {
	case d == String:
		k.Strings = strs
	case d.IsNarrow():
		k.Bytes = narrowPayload(d, b)
	default:
		k.Bytes = b
	}
	return nil
}

// storeLit stores literal e as one element of dtype d at the start of at.
func (c *converter) storeLit(d DType, e *literal, at []byte) error {
	size := d.Size()
	switch d {
	case F32, F64, F16, BF16:
		bits, err := c.litFloat(e, d)
		if err != nil {
			return err
		}
		storeBits(at, size, bits)
	case C64, C128:
		if e.kind != litPair {
			return c.errorf(e.pos, "expected a complex value (re, im)")
		}
		part := F32
		if d == C128 {
			part = F64
		}
		for j, p := range e.pair {
			bits, err := c.litFloat(p, part)
			if err != nil {
				return err
			}
			half := size / 2
			storeBits(at[half*j:], half, bits)
		}
	case Bool:
		switch {
		case e.kind == litWord && e.text == "true" && !e.neg:
			at[0] = 1
		case e.kind == litWord && e.text == "false" && !e.neg:
			at[0] = 0
		default:
			// Print writes bytes other than 0 and 1 as numbers.
			v, err := c.litUint(e, 8)
			if err != nil {
				return c.errorf(e.pos, "expected true or false")
			}
			at[0] = byte(v)
		}
	case I8, I16, I32, I64:
		if e.kind != litInt {
			return c.errorf(e.pos, "expected an integer")
		}
		s := e.text
		if e.neg {
			s = "-" + s
		}
		v, err := strconv.ParseInt(s, 10, size*8)
		if err != nil {
			return c.errorf(e.pos, "%s out of range for %v", s, d)
		}
		storeBits(at, size, uint64(v))
	case U8, U16, U32, U64:
		v, err := c.litUint(e, size*8)
		if err != nil {
			return err
		}
		storeBits(at, size, v)
	default:
		return c.errorf(e.pos, "constants of type %v cannot be written inline", d)
	}
	return nil
}

func (c *converter) litUint(e *literal, bits int) (uint64, error) {
	if e.kind != litInt || e.neg {
		return 0, c.errorf(e.pos, "expected an unsigned integer")
	}
	v, err := strconv.ParseUint(e.text, 10, bits)
	if err != nil {
		return 0, c.errorf(e.pos, "%s out of range for %d bits", e.text, bits)
	}
	return v, nil
}

// isInfBits reports whether bits is an infinity of float type d.
func isInfBits(bits uint64, d DType) bool {
	switch d {
	case F64:
		return bits&^(1<<63) == 0x7ff0000000000000
	case F16:
		return bits&^(1<<15) == 0x7c00
	case BF16:
		return bits&^(1<<15) == 0x7f80
	}
	return bits&^(1<<31) == 0x7f800000
}
