package onnx

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/kiln-ml/kiln/frontend/onnx/onnxpb"
	"github.com/kiln-ml/kiln/ir"
)

// MinOpset and MaxOpset bound the default-domain opset versions the importer
// accepts.
const (
	MinOpset = 1
	MaxOpset = 26
)

// Import reads the ONNX model at path and returns it as a module with one
// function, @main. The file is mapped read-only and tensor payloads are not
// copied: constants' Bytes alias the mapping (and the mappings of external
// data files), with Source giving the absolute file path and byte range.
// Module.Close releases the mappings. Errors name the file first, then the
// node or initializer.
func Import(path string) (*ir.Module, error) {
	data, unmap, err := mapFile(path)
	if err != nil {
		return nil, err
	}
	m, err := importData(data, path)
	if err != nil {
		unmap()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	m.AddCloser(unmap)
	return m, nil
}

// ImportBytes converts a serialized ModelProto. path is used to resolve
// external data (relative to its folder) and to name constants' sources.
// Constants alias data, which must stay unchanged while the module is used.
func ImportBytes(data []byte, path string) (*ir.Module, error) {
	return importData(data, path)
}

// importData decodes the model skeleton (payloads cut out, see payload.go)
// and converts it, resolving payload markers against data.
func importData(data []byte, path string) (*ir.Module, error) {
	skel, table, err := buildSkeleton(data)
	if err != nil {
		return nil, fmt.Errorf("not a valid ONNX model: %w", err)
	}
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(skel, &mp); err != nil {
		return nil, fmt.Errorf("not a valid ONNX model: %w", err)
	}
	c := newConverter(&mp, path)
	c.file, c.payloads = data, table
	return c.run(&mp)
}

// ImportModel converts a decoded ModelProto. Its tensors' bytes are used in
// place, without a file Source.
func ImportModel(mp *onnxpb.ModelProto, path string) (*ir.Module, error) {
	return newConverter(mp, path).run(mp)
}

func newConverter(mp *onnxpb.ModelProto, path string) *converter {
	abs := ""
	if path != "" {
		var err error
		if abs, err = filepath.Abs(path); err != nil {
			abs = path
		}
	}
	c := &converter{
		m:       ir.NewModule(),
		path:    path,
		absPath: abs,
		opsets:  map[string]int64{},
		names:   map[string]bool{},
		suffix:  map[string]int{},
		extMaps: map[string][]byte{},
	}
	c.ext = c.loadExternal
	return c
}

// run converts mp. On failure it releases the external files it mapped; on
// success the module owns them.
func (c *converter) run(mp *onnxpb.ModelProto) (*ir.Module, error) {
	m, err := c.model(mp)
	if err != nil {
		for _, f := range c.closers {
			f()
		}
		return nil, err
	}
	for _, f := range c.closers {
		m.AddCloser(f)
	}
	return m, nil
}

func (c *converter) model(mp *onnxpb.ModelProto) (*ir.Module, error) {
	if mp.Graph == nil {
		return nil, fmt.Errorf("model has no graph")
	}
	for _, o := range mp.OpsetImport {
		d := normDomain(o.GetDomain())
		if v, ok := c.opsets[d]; ok && v != o.GetVersion() {
			name := d
			if name == "" {
				name = "ai.onnx (default)"
			}
			return nil, fmt.Errorf("opset_import gives domain %s two versions, %d and %d", name, v, o.GetVersion())
		}
		c.opsets[d] = o.GetVersion()
	}
	if len(mp.OpsetImport) == 0 {
		c.opsets[""] = 1 // IR version 1 models carry no opset import
	}
	if v, ok := c.opsets[""]; ok && (v < MinOpset || v > MaxOpset) {
		return nil, fmt.Errorf("default-domain opset %d is outside the supported range %d..%d", v, MinOpset, MaxOpset)
	}
	if err := c.checkSupported(mp.Graph); err != nil {
		return nil, err
	}
	c.m.SetMeta("source.format", "onnx")
	if p := mp.GetProducerName(); p != "" {
		c.m.SetMeta("source.producer", strings.TrimSpace(p+" "+mp.GetProducerVersion()))
	}
	c.m.SetMeta("source.ir_version", fmt.Sprint(mp.GetIrVersion()))
	var doms []string
	for d := range c.opsets {
		doms = append(doms, d)
	}
	sort.Strings(doms)
	for _, d := range doms {
		name := d
		if name == "" {
			name = "ai.onnx"
		}
		c.m.SetMeta("source.opset."+name, fmt.Sprint(c.opsets[d]))
	}
	if err := c.mainGraph(mp.Graph); err != nil {
		return nil, err
	}
	if err := ir.Verify(c.m); err != nil {
		return nil, fmt.Errorf("imported module does not verify (importer bug): %w", err)
	}
	return c.m, nil
}

// externalLoader returns the bytes of a tensor stored outside the model.
type externalLoader func(tp *onnxpb.TensorProto, size int64) ([]byte, *ir.Source, error)

type converter struct {
	m       *ir.Module
	path    string // the model path as given, for error messages
	absPath string // the model path made absolute, for constants' Source ("" when unknown)
	opsets  map[string]int64
	ext     externalLoader
	names   map[string]bool // constant names in use
	suffix  map[string]int  // last numeric suffix used per constant base name

	file     []byte        // the serialized model payloads point into
	payloads *payloadTable // payload table of the skeleton (nil for ImportModel)
	extMaps  map[string][]byte
	closers  []func() error // unmap external data files

	r     *ir.Region // region being filled
	scope *scope
	cur   *node // node being converted

	// sourceNamed holds the values whose Name is an ONNX value name, so
	// that a converter returning an existing value (an input passed
	// through) does not rename it.
	sourceNamed map[*ir.Value]bool
}

// nameValue gives v the ONNX value name name, unless v already carries a
// source name or is a module constant (named by its constant name).
func (c *converter) nameValue(v *ir.Value, name string) {
	if v == nil || v.IsConst() || name == "" || c.sourceNamed[v] {
		return
	}
	if c.sourceNamed == nil {
		c.sourceNamed = map[*ir.Value]bool{}
	}
	v.Name = name
	c.sourceNamed[v] = true
}

// scope maps ONNX value names to kiln values; subgraphs see outer scopes.
type scope struct {
	vals   map[string]*ir.Value
	origin map[string]string // what defined each name, for SSA errors
	parent *scope
}

func newScope(parent *scope) *scope {
	return &scope{vals: map[string]*ir.Value{}, origin: map[string]string{}, parent: parent}
}

// define binds name to v. ONNX graphs are in SSA form: a name is written
// once, by a graph input, an initializer or one node output, and a node of
// a subgraph may not redefine a name of an enclosing graph either (inputs
// and initializers of a subgraph may). kind says what name is ("output",
// "input", "initializer") and by what defines it, for the error naming an
// earlier definition; outer makes the names of enclosing graphs count.
func (s *scope) define(name string, v *ir.Value, kind, by string, outer bool) error {
	for t := s; t != nil; t = t.parent {
		if prev, ok := t.origin[name]; ok {
			if t != s {
				prev += " of an enclosing graph"
			}
			return fmt.Errorf("%s %q: name already defined by %s (an ONNX value is assigned once)", kind, name, prev)
		}
		if !outer {
			break
		}
	}
	s.vals[name] = v
	s.origin[name] = by
	return nil
}

func (s *scope) lookup(name string) (*ir.Value, bool) {
	for ; s != nil; s = s.parent {
		if v, ok := s.vals[name]; ok {
			return v, true
		}
	}
	return nil, false
}

// checkSupported walks the graph and its subgraphs and reports, in one
// error, every op type the importer cannot convert, with its nodes.
func (c *converter) checkSupported(g *onnxpb.GraphProto) error {
	missing := map[string][]string{}
	deep := false
	var walk func(g *onnxpb.GraphProto, depth int)
	walk = func(g *onnxpb.GraphProto, depth int) {
		if depth > maxGraphDepth {
			deep = true
			return
		}
		for i, np := range g.Node {
			dom := normDomain(np.GetDomain())
			v, ok := c.opsets[dom]
			key := np.GetOpType()
			if dom != "" {
				key = dom + "." + key
			}
			n := &node{proto: np, index: i}
			if !ok {
				missing[key+" (domain not imported by the model)"] = append(missing[key+" (domain not imported by the model)"], n.where())
			} else if _, ok := lookupRule(dom, np.GetOpType(), v); !ok {
				k := fmt.Sprintf("%s-%d", key, v)
				missing[k] = append(missing[k], n.where())
			}
			for _, a := range np.Attribute {
				if a.G != nil {
					walk(a.G, depth+1)
				}
				for _, sg := range a.Graphs {
					walk(sg, depth+1)
				}
			}
		}
	}
	walk(g, 1)
	if deep {
		return fmt.Errorf("subgraphs nested more than %d deep", maxGraphDepth)
	}
	if len(missing) == 0 {
		return nil
	}
	var keys []string
	for k := range missing {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "%d unsupported op type(s):", len(keys))
	for _, k := range keys {
		nodes := missing[k]
		more := ""
		if len(nodes) > 5 {
			more = fmt.Sprintf(" and %d more", len(nodes)-5)
			nodes = nodes[:5]
		}
		fmt.Fprintf(&b, "\n  %s at %s%s", k, strings.Join(nodes, ", "), more)
	}
	return &UnsupportedError{Msg: b.String()}
}

// UnsupportedError reports ops (or opset versions) the importer lacks.
type UnsupportedError struct{ Msg string }

func (e *UnsupportedError) Error() string { return e.Msg }

func (c *converter) mainGraph(g *onnxpb.GraphProto) error {
	f := c.m.NewFunc("main")
	c.r = f.Body
	c.scope = newScope(nil)
	inits := map[string]bool{}
	for _, tp := range g.Initializer {
		if err := c.initializer(tp); err != nil {
			return err
		}
		inits[tp.GetName()] = true
	}
	if len(g.SparseInitializer) > 0 {
		return fmt.Errorf("sparse initializers are not supported")
	}
	used := dimParams(g)
	for _, in := range g.Input {
		if inits[in.GetName()] {
			continue // IR < 4 lists initializers again as inputs
		}
		t, err := typeFromProto(in.Type)
		if err != nil {
			return fmt.Errorf("input %q: %w", in.GetName(), err)
		}
		if t.Kind == ir.InvalidKind {
			return fmt.Errorf("input %q has no type", in.GetName())
		}
		v := f.AddInput(in.GetName(), nameInputDims(in.GetName(), t, used))
		c.nameValue(v, in.GetName())
		if err := c.scope.define(in.GetName(), v, "input", "an input", false); err != nil {
			return err
		}
	}
	if err := c.nodes(g); err != nil {
		return err
	}
	for _, out := range g.Output {
		v, err := c.output(out)
		if err != nil {
			return err
		}
		f.AddOutput(out.GetName(), v)
	}
	// ONNX value names may be numbers (PyTorch's "123"): fresh names of
	// later passes count on past them.
	f.Body.SyncNames()
	return nil
}

// nameInputDims gives each dim of a graph input that the model leaves
// unnamed a fresh symbol, "<input>.<axis>" (with "_" appended until no dim
// of the graph uses the name): the size is fixed when the function is
// called, so it is a symbol, not an unknown, and inference can carry it
// into expressions.
func nameInputDims(input string, t ir.Type, used map[string]bool) ir.Type {
	if !t.IsTensor() || !t.Shape.Ranked {
		return t
	}
	s := t.Shape.Clone()
	for i, d := range s.Dims {
		if !d.IsUnknown() {
			continue
		}
		name := fmt.Sprintf("%s.%d", input, i)
		for used[name] {
			name += "_"
		}
		used[name] = true
		s.Dims[i] = ir.Symbolic(name)
	}
	return ir.TensorType(t.DType, s)
}

// dimParams returns the dim names the graph's inputs, outputs and value
// infos declare.
func dimParams(g *onnxpb.GraphProto) map[string]bool {
	used := map[string]bool{}
	for _, vis := range [][]*onnxpb.ValueInfoProto{g.Input, g.Output, g.ValueInfo} {
		for _, vi := range vis {
			if tt := vi.GetType().GetTensorType(); tt != nil {
				for _, d := range tt.GetShape().GetDim() {
					if p := d.GetDimParam(); p != "" {
						used[p] = true
					}
				}
			}
		}
	}
	return used
}

// output resolves a graph output and refines its type from the declaration.
func (c *converter) output(out *onnxpb.ValueInfoProto) (*ir.Value, error) {
	v, ok := c.scope.lookup(out.GetName())
	if !ok {
		return nil, fmt.Errorf("output %q is not produced by any node", out.GetName())
	}
	t, err := typeFromProto(out.Type)
	if err != nil {
		return nil, fmt.Errorf("output %q: %w", out.GetName(), err)
	}
	c.refine(v, t)
	return v, nil
}

// refine merges a declared type into an op result's type when they agree;
// a declaration that contradicts inference is ignored (inference follows
// the op's semantics, and exporters do write stale shapes).
func (c *converter) refine(v *ir.Value, t ir.Type) {
	if v.Def == nil || t.Kind == ir.InvalidKind {
		return
	}
	if mt, err := ir.MergeTypes(v.Type, t); err == nil {
		v.Type = mt
	}
}

func (c *converter) nodes(g *onnxpb.GraphProto) error {
	declared := map[string]ir.Type{}
	for _, vi := range g.ValueInfo {
		t, err := typeFromProto(vi.Type)
		if err != nil {
			return fmt.Errorf("value_info %q: %w", vi.GetName(), err)
		}
		declared[vi.GetName()] = t
	}
	for i, np := range g.Node {
		n, err := c.bind(np, i)
		if err != nil {
			return err
		}
		conv, _ := lookupRule(np.GetDomain(), np.GetOpType(), n.Opset)
		c.cur = n
		outs, err := conv(c, n)
		c.cur = nil
		if n.err != nil {
			// A wrong-typed attribute, which may also be the cause of err.
			return fmt.Errorf("%s: %w", n.where(), n.err)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", n.where(), err)
		}
		if len(outs) < n.Outputs {
			return fmt.Errorf("%s: converter produced %d outputs, node has %d (importer bug)", n.where(), len(outs), n.Outputs)
		}
		for j := 0; j < n.Outputs; j++ {
			name := np.Output[j]
			if name == "" {
				continue
			}
			if t, ok := declared[name]; ok {
				c.refine(outs[j], t)
			}
			if err := c.scope.define(name, outs[j], "output", n.where(), true); err != nil {
				return fmt.Errorf("%s: %w", n.where(), err)
			}
			c.nameValue(outs[j], name)
		}
	}
	return nil
}

// bind resolves a node's inputs and attributes.
func (c *converter) bind(np *onnxpb.NodeProto, index int) (*node, error) {
	n := &node{proto: np, index: index, attrs: map[string]*onnxpb.AttributeProto{}}
	n.Opset = c.opsets[normDomain(np.GetDomain())]
	for _, a := range np.Attribute {
		if n.attrs[a.GetName()] != nil {
			return nil, fmt.Errorf("%s: attribute %q given twice", n.where(), a.GetName())
		}
		n.attrs[a.GetName()] = a
	}
	for _, name := range np.Input {
		if name == "" {
			n.Inputs = append(n.Inputs, nil)
			continue
		}
		v, ok := c.scope.lookup(name)
		if !ok {
			return nil, fmt.Errorf("%s: input %q is not defined before use", n.where(), name)
		}
		n.Inputs = append(n.Inputs, v)
	}
	n.Outputs = len(np.Output)
	for n.Outputs > 0 && np.Output[n.Outputs-1] == "" {
		n.Outputs--
	}
	return n, nil
}

// initializer adds a graph initializer to the module and the current scope.
func (c *converter) initializer(tp *onnxpb.TensorProto) error {
	td, err := decodeTensor(tp, c.ext)
	if err != nil {
		return fmt.Errorf("initializer %q: %w", tp.GetName(), err)
	}
	return c.scope.define(tp.GetName(), c.addConst(tp.GetName(), td), "initializer", "an initializer", false)
}

// addConst adds a module constant, making its name unique.
func (c *converter) addConst(name string, td *tensorData) *ir.Value {
	if name == "" {
		name = "const"
	}
	// Count on from the last suffix given to this base name: restarting
	// at 1 would make a model with many unnamed constants quadratic.
	base := name
	for c.names[name] {
		c.suffix[base]++
		name = fmt.Sprintf("%s.%d", base, c.suffix[base])
	}
	c.names[name] = true
	return c.m.AddConst(name, td.irType(), &ir.Constant{Bytes: td.bytes, Strings: td.strings, Source: td.source})
}

// emit builds a kiln op for the node being converted and returns its results.
func (c *converter) emit(name string, args []*ir.Value, attrs []ir.Attr, nres int) ([]*ir.Value, error) {
	op, err := c.r.Build(name, args, attrs, nres)
	if err != nil {
		return nil, err
	}
	if c.cur != nil {
		op.Loc = ir.Locs{c.cur.loc()}
	}
	return op.Results, nil
}

// emit1 is emit for single-result ops.
func (c *converter) emit1(name string, args []*ir.Value, attrs ...ir.Attr) (*ir.Value, error) {
	res, err := c.emit(name, args, attrs, 1)
	if err != nil {
		return nil, err
	}
	return res[0], nil
}

// constTensor adds a module constant built from Go values (for converters
// that turn attributes into operands).
func (c *converter) constI64(name string, shape []int64, vals []int64) *ir.Value {
	return c.addConst(name, &tensorData{dtype: ir.I64, shape: shape, bytes: ir.EncodeSlice(vals)})
}

// direct converts a node to the kiln op of the same name, carrying over
// every attribute the kiln op declares. Attributes named in ignore (legacy
// ones with no effect, such as consumed_inputs) are dropped; any other
// attribute the op does not declare is an error.
func direct(ignore ...string) convertFunc {
	return func(c *converter, n *node) ([]*ir.Value, error) {
		return c.directAs(n, n.proto.GetOpType(), n.Inputs, ignore...)
	}
}

// directWithout is direct for an op version that lacks attributes a later
// version added to the kiln op: a node carrying one of them is refused,
// naming the model's opset.
func directWithout(later ...string) convertFunc {
	return func(c *converter, n *node) ([]*ir.Value, error) {
		for _, a := range later {
			if n.Has(a) {
				return nil, fmt.Errorf("attribute %s is not part of %s at opset %d", a, n.proto.GetOpType(), n.Opset)
			}
		}
		return c.directAs(n, n.proto.GetOpType(), n.Inputs)
	}
}

// directAs converts n to kiln op name with the given operands.
func (c *converter) directAs(n *node, name string, args []*ir.Value, ignore ...string) ([]*ir.Value, error) {
	op, err := c.directOp(n, name, args, ignore...)
	if err != nil {
		return nil, err
	}
	return op.Results, nil
}

// directOp is directAs returning the op built.
func (c *converter) directOp(n *node, name string, args []*ir.Value, ignore ...string) (*ir.Op, error) {
	def := ir.Lookup(name)
	if def == nil {
		return nil, fmt.Errorf("no kiln op %s (importer bug)", name)
	}
	// ONNX has no optional variadic inputs: every value of a variadic
	// position (Loop's carried values, SequenceMap's extra inputs) is
	// named, even where the kiln op allows holes.
	if k := len(def.Inputs) - 1; k >= 0 && def.Inputs[k].Variadic {
		for i := k; i < len(args); i++ {
			if args[i] == nil {
				return nil, fmt.Errorf("input %d (%s) is absent; variadic inputs cannot be", i, def.Inputs[k].Name)
			}
		}
	}
	attrs, graphs, err := c.attrs(n, def, ignore)
	if err != nil {
		return nil, err
	}
	nres := n.Outputs
	if len(graphs) == 0 {
		op, err := c.r.Build(name, args, attrs, nres)
		if err != nil {
			return nil, err
		}
		if c.cur != nil {
			op.Loc = ir.Locs{c.cur.loc()}
		}
		return op, nil
	}
	op := c.r.NewOp(name, args, attrs, make([]ir.Type, nres))
	op.Loc = ir.Locs{n.loc()}
	for _, rn := range def.Regions {
		g := graphs[rn]
		if g == nil {
			return nil, fmt.Errorf("missing graph attribute %q", rn)
		}
		if err := c.subgraph(op, rn, g); err != nil {
			return nil, fmt.Errorf("%s: %w", rn, err)
		}
	}
	if err := ir.InferTypes(op); err != nil {
		return nil, err
	}
	return op, nil
}

// attrs converts n's attributes according to the kiln op's declaration.
func (c *converter) attrs(n *node, def *ir.OpDef, ignore []string) ([]ir.Attr, map[string]*onnxpb.GraphProto, error) {
	var out []ir.Attr
	graphs := map[string]*onnxpb.GraphProto{}
	for _, a := range n.proto.Attribute {
		name := a.GetName()
		if slices.Contains(ignore, name) {
			continue
		}
		if slices.Contains(def.Regions, name) {
			if err := checkAttrType(a, onnxpb.AttributeProto_GRAPH); err != nil {
				return nil, nil, err
			}
			if a.G == nil {
				return nil, nil, fmt.Errorf("attribute %q: want a graph", name)
			}
			graphs[name] = a.G
			continue
		}
		ad := def.Attr(name)
		if ad == nil {
			return nil, nil, fmt.Errorf("attribute %q is not supported", name)
		}
		if at, ok := onnxAttrType(ad.Kind); ok {
			if err := checkAttrType(a, at); err != nil {
				return nil, nil, err
			}
		}
		v, err := c.attrValue(a, ad.Kind)
		if err != nil {
			return nil, nil, fmt.Errorf("attribute %q: %w", name, err)
		}
		out = append(out, ir.Attr{Name: name, Value: v})
	}
	return out, graphs, nil
}

// attrValue converts an ONNX attribute to kind want.
func (c *converter) attrValue(a *onnxpb.AttributeProto, want ir.AttrKind) (ir.AttrValue, error) {
	switch want {
	case ir.AttrInt:
		return ir.IntAttr(a.GetI()), nil
	case ir.AttrFloat:
		return ir.FloatAttr(a.GetF()), nil
	case ir.AttrString:
		return ir.StringAttr(string(a.GetS())), nil
	case ir.AttrInts:
		return ir.IntsAttr(append([]int64{}, a.Ints...)), nil
	case ir.AttrFloats:
		return ir.FloatsAttr(append([]float32{}, a.Floats...)), nil
	case ir.AttrStrings:
		ss := make([]string, len(a.Strings))
		for i, s := range a.Strings {
			ss[i] = string(s)
		}
		return ir.StringsAttr(ss), nil
	case ir.AttrDType:
		d, err := DType(int32(a.GetI()))
		if err != nil {
			return ir.AttrValue{}, err
		}
		return ir.DTypeAttr(d), nil
	case ir.AttrType:
		t, err := typeFromProto(a.Tp)
		if err != nil {
			return ir.AttrValue{}, err
		}
		return ir.TypeAttr(t), nil
	case ir.AttrTensor:
		if a.T == nil {
			return ir.AttrValue{}, fmt.Errorf("want a tensor")
		}
		td, err := decodeTensor(a.T, c.ext)
		if err != nil {
			return ir.AttrValue{}, err
		}
		name := a.T.GetName()
		if name == "" && c.cur != nil {
			name = string(c.cur.loc()) + "." + a.GetName()
		}
		return ir.TensorAttr(c.addConst(strings.TrimPrefix(name, "#"), td)), nil
	}
	return ir.AttrValue{}, fmt.Errorf("unsupported attribute kind %v", want)
}

// subgraph converts graph attribute g of op into op's region name. The
// subgraph's inputs become region params; its nodes see the enclosing scope.
func (c *converter) subgraph(op *ir.Op, name string, g *onnxpb.GraphProto) error {
	r := op.AddRegion(name)
	saveR, saveScope, saveCur := c.r, c.scope, c.cur
	defer func() { c.r, c.scope, c.cur = saveR, saveScope, saveCur }()
	c.r = r
	c.scope = newScope(saveScope)
	for _, tp := range g.Initializer {
		if err := c.initializer(tp); err != nil {
			return err
		}
	}
	expected := regionParamTypes(op, name)
	for i, in := range g.Input {
		t, err := typeFromProto(in.Type)
		if err != nil {
			return fmt.Errorf("input %q: %w", in.GetName(), err)
		}
		// Subgraph inputs may omit their types (ONNX >= 11 allows it for
		// Loop and Scan bodies); the op table's region signature supplies
		// them.
		if i < len(expected) {
			t = completeParamType(t, expected[i])
		}
		v := r.AddParam(t)
		c.nameValue(v, in.GetName())
		if err := c.scope.define(in.GetName(), v, "input", "an input", false); err != nil {
			return err
		}
	}
	if err := c.nodes(g); err != nil {
		return err
	}
	for _, out := range g.Output {
		v, err := c.output(out)
		if err != nil {
			return err
		}
		r.Results = append(r.Results, v)
	}
	return nil
}

// loadExternal supplies the bytes of a tensor whose data is not inline in
// its TensorProto: a payload cut out of the skeleton (aliasing the model
// file) or data in an external file. It returns nil bytes and a nil Source
// when tp carries its data inline.
func (c *converter) loadExternal(tp *onnxpb.TensorProto, size int64) ([]byte, *ir.Source, error) {
	if tp.GetDataLocation() == onnxpb.TensorProto_EXTERNAL {
		return c.externalData(tp, size)
	}
	return c.payloadData(tp, size)
}

// payloadData resolves a skeleton payload marker.
func (c *converter) payloadData(tp *onnxpb.TensorProto, size int64) ([]byte, *ir.Source, error) {
	p, ok := c.payloads.lookup(tp.RawData)
	if !ok {
		return nil, nil, nil
	}
	d, err := DType(tp.GetDataType())
	if err != nil {
		return nil, nil, err
	}
	dims := fmt.Sprintf("%v%v", d, tp.Dims)
	switch p.field {
	case fieldTensorFloatData:
		if d != ir.F32 && d != ir.C64 {
			return nil, nil, fmt.Errorf("float_data cannot hold %v elements", d)
		}
		if p.n != size {
			return nil, nil, fmt.Errorf("float_data has %d values, %s needs %d", p.n/4, dims, size/4)
		}
	case fieldTensorDoubleData:
		if d != ir.F64 && d != ir.C128 {
			return nil, nil, fmt.Errorf("double_data cannot hold %v elements", d)
		}
		if p.n != size {
			return nil, nil, fmt.Errorf("double_data has %d values, %s needs %d", p.n/8, dims, size/8)
		}
	default:
		if p.n != size {
			return nil, nil, fmt.Errorf("raw_data has %d bytes, %s needs %d", p.n, dims, size)
		}
	}
	end := p.off + p.n
	return c.file[p.off:end:end], &ir.Source{Path: c.absPath, Offset: p.off, Length: p.n}, nil
}

// externalData maps a tensor's bytes from a file beside the model. ONNX
// says location is a path relative to the model's folder; kiln also insists
// that it stays inside that folder, symlinks included, so a model cannot
// make the importer read arbitrary files.
func (c *converter) externalData(tp *onnxpb.TensorProto, size int64) ([]byte, *ir.Source, error) {
	kv := map[string]string{}
	for _, e := range tp.ExternalData {
		kv[e.GetKey()] = e.GetValue()
	}
	loc := kv["location"]
	if loc == "" {
		return nil, nil, fmt.Errorf("external data without location")
	}
	if c.absPath == "" {
		return nil, nil, fmt.Errorf("external data %q: the model's path is unknown, so its folder is too", loc)
	}
	if filepath.IsAbs(loc) || strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "\\") || filepath.VolumeName(loc) != "" {
		return nil, nil, fmt.Errorf("external data location %q is absolute", loc)
	}
	clean := filepath.Clean(loc)
	if clean == ".." || strings.HasPrefix(clean, ".."+string(filepath.Separator)) {
		return nil, nil, fmt.Errorf("external data location %q escapes the model's folder", loc)
	}
	dir := filepath.Dir(c.absPath)
	full := filepath.Join(dir, clean)
	real, err := filepath.EvalSymlinks(full)
	if err != nil {
		return nil, nil, fmt.Errorf("external data %q: %w", loc, err)
	}
	realDir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("external data %q: %w", loc, err)
	}
	if rel, err := filepath.Rel(realDir, real); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return nil, nil, fmt.Errorf("external data location %q resolves outside the model's folder", loc)
	}
	var off, length int64 = 0, -1
	if s, ok := kv["offset"]; ok {
		if off, err = strconv.ParseInt(s, 10, 64); err != nil || off < 0 {
			return nil, nil, fmt.Errorf("external data %q: bad offset %q", loc, s)
		}
	}
	if s, ok := kv["length"]; ok {
		if length, err = strconv.ParseInt(s, 10, 64); err != nil || length < 0 {
			return nil, nil, fmt.Errorf("external data %q: bad length %q", loc, s)
		}
	}
	if length >= 0 && length != size {
		return nil, nil, fmt.Errorf("external data %q: length %d, tensor needs %d bytes", loc, length, size)
	}
	data, ok := c.extMaps[real]
	if !ok {
		var unmap func() error
		if data, unmap, err = mapFile(real); err != nil {
			return nil, nil, fmt.Errorf("external data %q: %w", loc, err)
		}
		c.extMaps[real] = data
		c.closers = append(c.closers, unmap)
	}
	if off > int64(len(data)) || size > int64(len(data))-off {
		return nil, nil, fmt.Errorf("external data %q: bytes %d..%d lie beyond the file's end (%d bytes)", loc, off, off+size, len(data))
	}
	return data[off : off+size : off+size], &ir.Source{Path: full, Offset: off, Length: size}, nil
}

var errNotConst = errors.New("operand must be a constant")
