package passes

import (
	"math"

	"github.com/kiln-ml/kiln/ir"
)

// geluTanhRules recognize GELU's tanh approximation as exporters write it,
// 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3))): the cube as
// Pow(x, 3) (Hugging Face's NewGELU) or x * (x * x) (PyTorch's export of
// gelu(approximate="tanh") before opset 20), the 0.5 applied to x first or
// to the product last. Each becomes Gelu with approximate = "tanh"
// (opset 20). One rule per form, all counted as gelu-tanh.
var geluTanhRules = func() []*Rule {
	cubes := []func() *Pat{
		func() *Pat { return P("Pow", Same("x"), V("three", "scalar")) },
		func() *Pat { return P("Mul", Same("x"), P("Mul", Same("x"), Same("x"))).C() },
	}
	var rules []*Rule
	for _, cube := range cubes {
		tanh := func() *Pat {
			return P("Add",
				P("Tanh", P("Mul", P("Add", Same("x"), P("Mul", cube(), V("kappa", "scalar")).C()).C(), V("beta", "scalar")).C()),
				V("one", "scalar")).C()
		}
		for _, pat := range []*Pat{
			P("Mul", P("Mul", V("x", "f32"), V("half", "scalar")).C(), tanh()).C(),
			P("Mul", P("Mul", V("x", "f32"), tanh()).C(), V("half", "scalar")).C(),
		} {
			rules = append(rules, &Rule{
				Name:    "gelu-tanh",
				Doc:     "0.5 * x * (1 + Tanh(sqrt(2/pi) * (x + 0.044715 * x^3))), the cube as Pow or two Muls, becomes Gelu (opset 20, approximate tanh)",
				Pattern: pat,
				Where:   geluTanhWhere,
				Build:   buildGeluTanh,
			})
		}
	}
	return rules
}()

func geluTanhWhere(m *Match) bool {
	near := func(name string, want float64) bool {
		v, ok := scalarFloat(m.Vals[name])
		return ok && math.Abs(v-want) <= 1e-6*math.Abs(want)
	}
	if v := m.Vals["three"]; v != nil && !near("three", 3) {
		return false
	}
	return near("half", 0.5) && near("one", 1) && near("kappa", 0.044715) && near("beta", math.Sqrt(2/math.Pi)) &&
		m.Vals["x"].Type.Equal(m.All[len(m.All)-1].Results[0].Type)
}

func buildGeluTanh(b *ir.Builder, m *Match) ([]*ir.Value, error) {
	op, err := b.Build("Gelu", []*ir.Value{m.Vals["x"]}, []ir.Attr{{Name: "approximate", Value: ir.StringAttr("tanh")}}, 1)
	if err != nil {
		return nil, err
	}
	op.Loc = ir.MergeLocs(m.All...)
	return op.Results, nil
}
