package sjson

// One-buffer encoder of documents (added by the Upgrade Manager build: see
// tools/services/ferretdb-source-fixes.mjs). Marshal builds a buffer for every schema element and
// value and encodes each key, string and number with json.Marshal. This encoder appends to one
// buffer and writes plain strings and integers itself; it writes byte for byte what Marshal writes.
// It gives up (Marshal then encodes as before) on binData, regex, and values Marshal refuses.

import (
	"encoding/hex"
	"encoding/json"
	"strconv"
	"time"

	"github.com/FerretDB/FerretDB/internal/types"
)

// marshalFast encodes d as Marshal does; false when it cannot (Marshal then encodes it).
func marshalFast(d *types.Document) ([]byte, bool) {
	buf := make([]byte, 0, 512)

	buf = append(buf, `{"$s":`...)

	buf, ok := appendFastSchema(buf, d)
	if !ok {
		return nil, false
	}

	keys := d.Keys()
	values := d.Values()

	for i, key := range keys {
		// Marshal writes the document's own keys as they are
		buf = append(buf, ',', '"')
		buf = append(buf, key...)
		buf = append(buf, '"', ':')

		if buf, ok = appendFastValue(buf, values[i]); !ok {
			return nil, false
		}
	}

	return append(buf, '}'), true
}

// appendFastSchema appends the schema of d, as marshalSchemaForDoc writes it.
func appendFastSchema(buf []byte, d *types.Document) ([]byte, bool) {
	keys := d.Keys()
	if len(keys) == 0 {
		return append(buf, "{}"...), true
	}

	buf = append(buf, `{"p":{`...)

	buf, ok := appendFastFields(buf, d, appendFastElem)
	if !ok {
		return nil, false
	}

	buf = append(buf, `},"$k":[`...)

	for i, key := range keys {
		if i > 0 {
			buf = append(buf, ',')
		}

		buf = appendFastString(buf, key)
	}

	return append(buf, "]}"...), true
}

// appendFastElem appends the schema element of v, as marshalElemForSingleValue writes it.
func appendFastElem(buf []byte, v any) ([]byte, bool) {
	var ok bool

	switch v := v.(type) {
	case *types.Document:
		buf = append(buf, `{"t":"object","$s":`...)

		if buf, ok = appendFastSchema(buf, v); !ok {
			return nil, false
		}

		return append(buf, '}'), true

	case *types.Array:
		buf = append(buf, `{"t":"array","i":[`...)

		if buf, ok = appendFastItems(buf, v, appendFastElem); !ok {
			return nil, false
		}

		return append(buf, "]}"...), true

	case float64:
		return append(buf, `{"t":"double"}`...), true
	case string:
		return append(buf, `{"t":"string"}`...), true
	case types.ObjectID:
		return append(buf, `{"t":"objectId"}`...), true
	case bool:
		return append(buf, `{"t":"bool"}`...), true
	case time.Time:
		return append(buf, `{"t":"date"}`...), true
	case types.NullType:
		return append(buf, `{"t":"null"}`...), true
	case int32:
		return append(buf, `{"t":"int"}`...), true
	case types.Timestamp:
		return append(buf, `{"t":"timestamp"}`...), true
	case int64:
		return append(buf, `{"t":"long"}`...), true
	}

	return nil, false
}

// appendFastValue appends v, as its sjsontype's MarshalJSON writes it.
func appendFastValue(buf []byte, v any) ([]byte, bool) {
	var ok bool

	switch v := v.(type) {
	case *types.Document:
		buf = append(buf, '{')

		if buf, ok = appendFastFields(buf, v, appendFastValue); !ok {
			return nil, false
		}

		return append(buf, '}'), true

	case *types.Array:
		buf = append(buf, '[')

		if buf, ok = appendFastItems(buf, v, appendFastValue); !ok {
			return nil, false
		}

		return append(buf, ']'), true

	case float64:
		b, err := json.Marshal(v)
		if err != nil {
			return nil, false
		}

		return append(buf, b...), true

	case string:
		return appendFastString(buf, v), true

	case types.ObjectID:
		buf = append(buf, '"')
		buf = hex.AppendEncode(buf, v[:])

		return append(buf, '"'), true

	case bool:
		return strconv.AppendBool(buf, v), true
	case time.Time:
		return strconv.AppendInt(buf, v.UnixMilli(), 10), true
	case types.NullType:
		return append(buf, "null"...), true
	case int32:
		return strconv.AppendInt(buf, int64(v), 10), true
	case types.Timestamp:
		return strconv.AppendUint(buf, uint64(v), 10), true
	case int64:
		return strconv.AppendInt(buf, v, 10), true
	}

	return nil, false
}

// appendFastFields appends d's fields as "key":value, comma-separated, each value by appendValue
// (an element of the schema, or the value itself), as Marshal does for a document's fields.
func appendFastFields(buf []byte, d *types.Document, appendValue func([]byte, any) ([]byte, bool)) ([]byte, bool) {
	var ok bool

	for i, key := range d.Keys() {
		if i > 0 {
			buf = append(buf, ',')
		}

		buf = appendFastString(buf, key)
		buf = append(buf, ':')

		v, err := d.Get(key)
		if err != nil {
			return nil, false
		}

		if buf, ok = appendValue(buf, v); !ok {
			return nil, false
		}
	}

	return buf, true
}

// appendFastItems appends a's items, comma-separated, each by appendItem.
func appendFastItems(buf []byte, a *types.Array, appendItem func([]byte, any) ([]byte, bool)) ([]byte, bool) {
	var ok bool

	for i := 0; i < a.Len(); i++ {
		if i > 0 {
			buf = append(buf, ',')
		}

		item, err := a.Get(i)
		if err != nil {
			return nil, false
		}

		if buf, ok = appendItem(buf, item); !ok {
			return nil, false
		}
	}

	return buf, true
}

// appendFastString appends s as json.Marshal encodes it: written as it is when it holds only
// printable ASCII that needs no escape (json.Marshal also escapes <, > and &), else by json.Marshal.
func appendFastString(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s) // a string always encodes

			return append(buf, b...)
		}
	}

	buf = append(buf, '"')
	buf = append(buf, s...)

	return append(buf, '"')
}
