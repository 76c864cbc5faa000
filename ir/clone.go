package ir

import "slices"

// Clones are deep: new values, ops and regions with the same names, types,
// attributes and locations, every reference remapped to the copy. Constant
// payloads (bytes and strings) are shared, never copied: they are read-only
// and usually alias a mapped file.

// Clone returns a deep copy of m. Its constants are new values whose
// Constant records share the original's bytes, so the copy must not be
// used after m is closed (the copy has nothing of its own to close).
func (m *Module) Clone() *Module {
	out := &Module{
		Syms: append([]SymBound(nil), m.Syms...),
		Meta: append([]MetaEntry(nil), m.Meta...),
	}
	remap := map[*Value]*Value{}
	for _, c := range m.Consts {
		nc := &Value{Type: cloneType(c.Type), Name: c.Name}
		if c.Const != nil {
			k := &Constant{Name: c.Const.Name, Bytes: c.Const.Bytes, Strings: c.Const.Strings}
			if c.Const.Source != nil {
				src := *c.Const.Source
				k.Source = &src
			}
			c.Const.copyHashTo(k)
			nc.Const = k
		}
		remap[c] = nc
		out.Consts = append(out.Consts, nc)
	}
	for _, f := range m.Funcs {
		out.Funcs = append(out.Funcs, f.clone(remap))
	}
	return out
}

// Clone returns a deep copy of f, reading the same module constants, for
// the same module (give it another name before adding it to m.Funcs).
func (f *Func) Clone() *Func { return f.clone(map[*Value]*Value{}) }

func (f *Func) clone(remap map[*Value]*Value) *Func {
	body := f.Body.Clone(remap)
	body.nextName, body.named = f.Body.Root().nextName, f.Body.Root().named
	return &Func{
		Name:        f.Name,
		Body:        body,
		InputNames:  append([]string(nil), f.InputNames...),
		OutputNames: append([]string(nil), f.OutputNames...),
	}
}

// Clone returns a deep copy of r with no parent op. remap maps values
// defined outside r to what the copy should read instead (nil or missing
// entries: the same value, as when the copy stays beside the original);
// Clone adds the mapping of every value r defines to it. To attach the copy
// to an op, append it to op.Regions and set its Parent.
func (r *Region) Clone(remap map[*Value]*Value) *Region {
	if remap == nil {
		remap = map[*Value]*Value{}
	}
	return cloneRegion(r, nil, remap)
}

func cloneRegion(r *Region, parent *Op, remap map[*Value]*Value) *Region {
	out := &Region{Name: r.Name, Parent: parent}
	for _, p := range r.Params {
		np := &Value{Type: cloneType(p.Type), Name: p.Name, Param: out, Index: p.Index}
		remap[p] = np
		out.Params = append(out.Params, np)
	}
	for _, op := range r.Ops {
		out.Ops = append(out.Ops, cloneOp(op, out, remap))
	}
	for _, v := range r.Results {
		out.Results = append(out.Results, mapped(remap, v))
	}
	return out
}

func cloneOp(op *Op, parent *Region, remap map[*Value]*Value) *Op {
	out := &Op{Name: op.Name, Parent: parent, Loc: append(Locs(nil), op.Loc...)}
	for _, a := range op.Args {
		out.Args = append(out.Args, mapped(remap, a))
	}
	for _, a := range op.Attrs {
		out.Attrs = append(out.Attrs, Attr{Name: a.Name, Value: cloneAttr(a.Value, remap)})
	}
	for _, res := range op.Results {
		nr := &Value{Type: cloneType(res.Type), Name: res.Name, Def: out, Index: res.Index}
		remap[res] = nr
		out.Results = append(out.Results, nr)
	}
	for _, sub := range op.Regions {
		out.Regions = append(out.Regions, cloneRegion(sub, out, remap))
	}
	return out
}

func cloneAttr(v AttrValue, remap map[*Value]*Value) AttrValue {
	v.Ints = slices.Clone(v.Ints)
	v.Floats = slices.Clone(v.Floats)
	v.Strings = slices.Clone(v.Strings)
	v.Tensor = mapped(remap, v.Tensor)
	v.Type = cloneType(v.Type)
	return v
}

func mapped(remap map[*Value]*Value, v *Value) *Value {
	if nv, ok := remap[v]; ok && nv != nil {
		return nv
	}
	return v
}

// cloneType copies t's dims, so that a pass editing a shape in place cannot
// reach the original. Element types are shared: they are never mutated.
func cloneType(t Type) Type {
	if t.Kind == TensorKind {
		t.Shape = t.Shape.Clone()
	}
	return t
}
