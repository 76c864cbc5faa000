package ir

import "fmt"

// Builder creates ops at an insertion point: before an op, after an op, or
// at the end of a region. It is how passes add ops in the middle of a
// function; Region.Build is the same for appending while a region is being
// filled from start to end.
//
// Successive ops keep their order: after BuildBefore(x), the ops built come
// before x in the order they were built; after BuildAfter(x), the first
// comes right after x and each next one after the previous.
type Builder struct {
	r      *Region
	anchor *Op  // insert relative to this op; nil means at the end of r
	before bool // insert before anchor (else after it)

	// Loc is given to every op the builder creates: typically the
	// locations of the ops being replaced (MergeLocs).
	Loc Locs
}

// BuildBefore returns a builder inserting before op, in op's region.
func BuildBefore(op *Op) *Builder { return &Builder{r: op.Parent, anchor: op, before: true} }

// BuildAfter returns a builder inserting after op, in op's region.
func BuildAfter(op *Op) *Builder { return &Builder{r: op.Parent, anchor: op} }

// BuildAtEnd returns a builder appending to r (before its return).
func BuildAtEnd(r *Region) *Builder { return &Builder{r: r} }

// Region returns the region the builder inserts into.
func (b *Builder) Region() *Region { return b.r }

// Build creates an op at the insertion point, infers its result types
// from the op table (as Region.Build does) and returns it. nresults is the
// number of results wanted. On an inference error nothing is inserted.
func (b *Builder) Build(name string, args []*Value, attrs []Attr, nresults int) (*Op, error) {
	if b.r == nil {
		return nil, fmt.Errorf("build %s: the insertion point is in no region", name)
	}
	op := newOp(b.r, name, args, attrs, make([]Type, nresults))
	if err := InferTypes(op); err != nil {
		return nil, err
	}
	if err := b.insert(op); err != nil {
		return nil, err
	}
	return op, nil
}

// NewOp creates an op with the given result types at the insertion point
// without running inference: for ops with regions, which are filled next
// and then passed to InferTypes.
func (b *Builder) NewOp(name string, args []*Value, attrs []Attr, resultTypes []Type) (*Op, error) {
	if b.r == nil {
		return nil, fmt.Errorf("build %s: the insertion point is in no region", name)
	}
	op := newOp(b.r, name, args, attrs, resultTypes)
	if err := b.insert(op); err != nil {
		return nil, err
	}
	return op, nil
}

// insert places op at the insertion point and moves the point past it.
func (b *Builder) insert(op *Op) error {
	op.Loc = append(Locs(nil), b.Loc...)
	i := len(b.r.Ops)
	if b.anchor != nil {
		i = b.r.index(b.anchor)
		if i < 0 {
			return fmt.Errorf("build %s: the insertion point %s is no longer in its region", op.Name, opWhere(b.anchor))
		}
		if !b.before {
			i++
			b.anchor = op
		}
	}
	b.r.Ops = append(b.r.Ops, nil)
	copy(b.r.Ops[i+1:], b.r.Ops[i:])
	b.r.Ops[i] = op
	return nil
}
