package gguf

import (
	"encoding/json"
	"math"
	"testing"
)

func TestMarshalJSON(t *testing.T) {
	f, err := Parse(withKVs(
		kvStr("s", "a\"b"),
		kvF32("f", 0.1),
		kvF32("nan", float32(math.NaN())),
		kvRaw("inf", uint32(TypeFloat64), le64(math.Float64bits(math.Inf(-1)))),
		kvRaw("big", uint32(TypeUint64), le64(math.MaxUint64)),
		kvArr("bytes", encArr(uint32(TypeUint8), 2, []byte{1}, []byte{255})),
		kvArr("nested", encArr(uint32(TypeArray), 2, encArr(uint32(TypeBool), 1, []byte{1}), encArr(uint32(TypeString), 0))),
	).build())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"s":      `"a\"b"`,
		"f":      `0.1`,
		"nan":    `"NaN"`,
		"inf":    `"-Inf"`,
		"big":    `18446744073709551615`,
		"bytes":  `[1,255]`,
		"nested": `[[true],[]]`,
	}
	for _, kv := range f.KV {
		b, err := json.Marshal(kv.Value)
		if err != nil || string(b) != want[kv.Key] {
			t.Errorf("%s: %s %v, want %s", kv.Key, b, err, want[kv.Key])
		}
	}
}
