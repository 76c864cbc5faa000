package gguf

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func TestMarshalJSON(t *testing.T) {
	f, err := Parse(withKVs(
		kvStr("s", "a\"b"),
		kvStr("tok", "<s>&"),
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
		"tok":    `"<s>&"`,
		"f":      `0.1`,
		"nan":    `"NaN"`,
		"inf":    `"-Inf"`,
		"big":    `18446744073709551615`,
		"bytes":  `[1,255]`,
		"nested": `[[true],[]]`,
	}
	for _, kv := range f.KV {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		err := enc.Encode(kv.Value)
		if b := strings.TrimSuffix(buf.String(), "\n"); err != nil || b != want[kv.Key] {
			t.Errorf("%s: %s %v, want %s", kv.Key, b, err, want[kv.Key])
		}
	}
}
