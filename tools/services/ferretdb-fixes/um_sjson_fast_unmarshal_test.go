package sjson

// Checks unmarshalFast against encoding/json's decoding (unmarshalDecoded) on random documents, as
// written by Marshal and with bytes changed (added by the Upgrade Manager build: see
// tools/services/ferretdb-source-fixes.mjs). Run in a patched source: go test ./internal/handler/sjson/

import (
	"math"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/FerretDB/FerretDB/internal/types"
)

var fastTestStrings = []string{"", "a", "gateway-00042", "é ü 😀", "<&>", "quote\"d", "back\\slash", "tab\there", "\u2028", "line\nbreak"}

func randomValue(r *rand.Rand, depth int) any {
	n := 11
	if depth > 3 {
		n = 9
	}

	switch r.Intn(n) {
	case 0:
		return fastTestStrings[r.Intn(len(fastTestStrings))]
	case 1:
		return []float64{0, 1.5, -2.25e-300, 1e300, math.MaxFloat64, 3, -0.1}[r.Intn(7)]
	case 2:
		return int32(r.Int63n(1<<32) - 1<<31)
	case 3:
		return r.Int63() - r.Int63()
	case 4:
		return r.Intn(2) == 0
	case 5:
		return time.UnixMilli(r.Int63n(1<<42) - 1<<41)
	case 6:
		var id types.ObjectID
		r.Read(id[:])

		return id
	case 7:
		return types.Null
	case 8:
		b := make([]byte, r.Intn(70))
		r.Read(b)
		bin := types.Binary{Subtype: []types.BinarySubtype{types.BinaryGeneric, types.BinaryUser, 4}[r.Intn(3)], B: b}

		return []any{types.Timestamp(r.Uint64()), bin, types.Regex{Pattern: "^a", Options: "i"}}[r.Intn(3)]
	case 9:
		return randomDocument(r, depth+1)
	default:
		a := types.MakeArray(0)
		for i := r.Intn(4); i > 0; i-- {
			a.Append(randomValue(r, depth+1))
		}

		return a
	}
}

func randomDocument(r *rand.Rand, depth int) *types.Document {
	d, _ := types.NewDocument()
	for i := r.Intn(6); i > 0; i-- {
		d.Set([]string{"_id", "name", "pending", "status", "a.b", "k" + string(rune('a'+r.Intn(26)))}[r.Intn(6)], randomValue(r, depth))
	}

	return d
}

func TestUnmarshalFastMatchesDecoded(t *testing.T) {
	t.Parallel()

	r := rand.New(rand.NewSource(1))
	answered := 0

	for i := 0; i < 20000; i++ {
		doc := randomDocument(r, 0)
		b, err := Marshal(doc)
		require.NoError(t, err)

		expected, err := unmarshalDecoded(b)
		require.NoError(t, err)

		if actual, ok := unmarshalFast(b); ok {
			answered++

			assert.Equal(t, expected, actual, "%s", b)
		}

		changed := []byte(string(b))
		for j := r.Intn(3); j >= 0; j-- {
			const replacements = "{}[]\":, 0-1eE.ntf\\"
			changed[r.Intn(len(changed))] = replacements[r.Intn(len(replacements))]
		}

		if actual, ok := unmarshalFast(changed); ok {
			expected, err := unmarshalDecoded(changed)
			require.NoError(t, err, "%s", changed)
			assert.Equal(t, expected, actual, "%s", changed)
		}
	}

	// Regex and escaped strings are left to encoding/json; the rest is answered.
	assert.Greater(t, answered, 5000)
}

func TestUnmarshalFastSpacesAndOrder(t *testing.T) {
	t.Parallel()

	for _, data := range []string{
		`{"$s":{"p":{"a":{"t":"int"},"b":{"t":"object","$s":{"p":{"c":{"t":"array","i":[{"t":"string"},{"t":"null"}]}},"$k":["c"]}}},"$k":["b","a"]},"a":1,"b":{"c":["x",null]}}`,
		` { "b" : { "c" : [ "x" , null ] } , "$s" : { "$k" : [ "b" , "a" ] , "p" : { "b" : { "$s" : { "p" : { "c" : { "t" : "array" , "i" : [ { "t" : "string" } , { "t" : "null" } ] } } , "$k" : [ "c" ] } , "t" : "object" } , "a" : { "t" : "int" } } } , "a" : 1 }`,
		`{"$s":{"p":{"a":{"t":"array","i":[]},"e":{"t":"object","$s":{}}},"$k":["a","e"]},"a":[],"e":{}}`,
		`{"$s":{"p":{"a":{"t":"binData","s":0},"b":{"t":"binData","s":128},"c":{"s":3,"t":"binData"}},"$k":["a","b","c"]},"a":"AQI=","b":"","c":"/+8A"}`,
		`{"$s":{"p":{"a":{"t":"string","s":7}},"$k":["a"]},"a":"x"}`,
	} {
		expected, err := unmarshalDecoded([]byte(data))
		require.NoError(t, err)

		actual, ok := unmarshalFast([]byte(data))
		require.True(t, ok, data)
		assert.Equal(t, expected, actual)
	}

	for _, data := range []string{
		`{"$s":{"p":{"a":{"t":"int"}},"$k":["a"]},"a":1,"a":2}`,
		`{"$s":{"p":{"a":{"t":"int"}},"$k":["a"]},"a":1.0}`,
		`{"$s":{"p":{"a":{"t":"array"}},"$k":["a"]},"a":[]}`,
		`{"$s":{"p":{"a":{"t":"int"}},"$k":["a"]},"a":2147483648}`,
		`{"$s":{"p":{"a":{"t":"string"}},"$k":["a"]},"a":"\u0041"}`,
		`{"$s":{"p":{"a":{"T":"string"}},"$k":["a"]},"a":"x"}`,
		`{"$s":{"p":{"a":{"t":"string"}},"$k":["a"]},"a":"x"} x`,
		`{"$s":{"p":{"a":{"t":"string"}},"$k":["a"]},"a":"x"} `,
		`{"$s":{"p":{"a":{"t":"double"}},"$k":["a"]},"a":01}`,
		`{"$s":{"p":{"a":{"t":"objectId"}},"$k":["a"]},"a":"` + strings.Repeat("g", 24) + `"}`,
		`{"$s":{"p":{"a":{"t":"int"}},"$k":["a","a"]},"a":1,"b":tru}`,
		`{"$s":{"p":{"o":{"t":"object","$s":{"p":{"a":{"t":"int"}},"$k":["a","a"]}}},"$k":["o"]},"o":{"a":1,"b":[1,,2]}}`,
		`{"$s":{"p":{"a":{"t":"binData"}},"$k":["a"]},"a":"AQI="}`,
		`{"$s":{"p":{"a":{"t":"binData","s":256}},"$k":["a"]},"a":"AQI="}`,
		`{"$s":{"p":{"a":{"t":"binData","s":-0}},"$k":["a"]},"a":"AQI="}`,
		`{"$s":{"p":{"a":{"t":"binData","s":1.0}},"$k":["a"]},"a":"AQI="}`,
		`{"$s":{"p":{"a":{"t":"binData","s":null}},"$k":["a"]},"a":"AQI="}`,
		`{"$s":{"p":{"a":{"t":"binData","s":0}},"$k":["a"]},"a":"AQI"}`,
		`{"$s":{"p":{"a":{"t":"binData","s":0}},"$k":["a"]},"a":"A\u0051I="}`,
		`{"$s":{"p":{"a":{"t":"binData","s":0}},"$k":["a"]},"a":[1]}`,
	} {
		_, ok := unmarshalFast([]byte(data))
		assert.False(t, ok, data)
	}
}
