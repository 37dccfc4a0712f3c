package sjson

// A one-pass decoder of the documents the backends store (added by the Upgrade Manager build: see
// tools/services/ferretdb-source-fixes.mjs). Unmarshal decodes with encoding/json, once for the whole
// document and again for every nested value (each through its own json.Decoder): a third of
// FerretDB's CPU in 1,000-gateway rollouts. This decoder reads each byte once and handles what
// sjson.Marshal writes: objects, arrays, strings, numbers, booleans, dates, ObjectIDs, nulls and
// binData (GridFS chunks). Anything else or unexpected (regex, escapes in keys, unknown schema
// fields, duplicated keys, malformed input) makes it give up, and Unmarshal decodes the document as
// before: when it answers, it answers what Unmarshal would.

import (
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/FerretDB/FerretDB/internal/types"
)

// fastSpan is a JSON value (a string with its quotes) as offsets into the decoded data.
type fastSpan struct {
	start, end int
}

// fastField is a key of an object (a plain string, see plainString) and its value.
type fastField struct {
	key   fastSpan
	value fastSpan
}

// fastDecoder reads one document; ok turns false at the first thing it does not handle.
type fastDecoder struct {
	data []byte
	pos  int
	ok   bool
}

// unmarshalFast decodes data as Unmarshal does; false when it cannot (Unmarshal then decodes it).
func unmarshalFast(data []byte) (*types.Document, bool) {
	dec := fastDecoder{data: data, ok: true}
	fields := dec.object()

	// encoding/json refuses anything after the document, spaces included
	if !dec.ok || dec.pos != len(data) {
		return nil, false
	}

	schemaAt := -1

	for i, f := range fields {
		if dec.keyIs(f, "$s") {
			if schemaAt >= 0 {
				return nil, false
			}

			schemaAt = i
		}
	}

	if schemaAt < 0 {
		return nil, false
	}

	sch := dec.cachedSchema(fields[schemaAt].value)
	if sch == nil {
		return nil, false
	}

	rest := append(fields[:schemaAt:schemaAt], fields[schemaAt+1:]...)

	return dec.document(rest, sch)
}

// fastSchemas holds the schemas decoded so far by their text: a collection's documents share a few.
// It starts again empty when its texts reach fastSchemasBytes.
var fastSchemas = struct {
	sync.RWMutex
	m     map[string]*schema
	bytes int
}{m: map[string]*schema{}}

const fastSchemasBytes = 4 << 20

// cachedSchema is the schema at s, decoded once for each text; nil when it cannot be decoded here.
func (dec *fastDecoder) cachedSchema(s fastSpan) *schema {
	text := dec.data[s.start:s.end]

	fastSchemas.RLock()
	sch := fastSchemas.m[string(text)]
	fastSchemas.RUnlock()

	if sch != nil {
		return sch
	}

	sub := fastDecoder{data: dec.data, pos: s.start, ok: true}
	if sch = sub.schema(); sch == nil || !sub.ok || sub.pos != s.end {
		return nil
	}

	fastSchemas.Lock()
	if fastSchemas.bytes+len(text) > fastSchemasBytes {
		fastSchemas.m = map[string]*schema{}
		fastSchemas.bytes = 0
	}

	if len(text) <= fastSchemasBytes/16 {
		fastSchemas.m[string(text)] = sch
		fastSchemas.bytes += len(text)
	}
	fastSchemas.Unlock()

	return sch
}

// keyIs reports whether f's key is key.
func (dec *fastDecoder) keyIs(f fastField, key string) bool {
	return string(dec.data[f.key.start+1:f.key.end-1]) == key
}

// document builds the document of fields with sch, as Unmarshal and documentType do.
func (dec *fastDecoder) document(fields []fastField, sch *schema) (*types.Document, bool) {
	if dec.hasDuplicateKey(fields) || len(sch.Keys) != len(fields) {
		return nil, false
	}

	d := types.MakeDocument(len(sch.Keys))

	for _, key := range sch.Keys {
		f := dec.findField(fields, key)
		if f == nil {
			return nil, false
		}

		v, ok := dec.value(f.value, sch.Properties[key])
		if !ok {
			return nil, false
		}

		d.Set(key, v)
	}

	return d, true
}

// value decodes the value at s by its schema element, as unmarshalSingleValue does.
func (dec *fastDecoder) value(s fastSpan, el *elem) (any, bool) {
	raw := dec.data[s.start:s.end]
	if string(raw) == "null" {
		return types.Null, true
	}

	if el == nil {
		return nil, false
	}

	switch el.Type {
	case elemTypeObject:
		fields, ok := dec.objectAt(s)
		if el.Schema == nil || !ok {
			return nil, false
		}

		if len(fields) == 0 {
			return types.MakeDocument(0), true
		}

		return dec.document(fields, el.Schema)

	case elemTypeArray:
		items, ok := dec.arrayAt(s)
		if !ok || el.Items == nil || len(el.Items) != len(items) {
			return nil, false
		}

		a := types.MakeArray(len(items))

		for i, item := range items {
			v, ok := dec.value(item, el.Items[i])
			if !ok {
				return nil, false
			}

			a.Append(v)
		}

		return a, true

	case elemTypeString:
		str, ok := plainString(raw)
		if !ok {
			return nil, false
		}

		return string(str), true

	case elemTypeObjectID:
		str, ok := plainString(raw)
		if !ok || len(str) != 2*types.ObjectIDLen {
			return nil, false
		}

		var id types.ObjectID
		if _, err := hex.Decode(id[:], str); err != nil {
			return nil, false
		}

		return id, true

	case elemTypeBinData:
		// encoding/json decodes a []byte from base64 with StdEncoding (binaryType.UnmarshalJSONWithSchema)
		str, ok := plainString(raw)
		if !ok || el.Subtype == nil {
			return nil, false
		}

		b := make([]byte, base64.StdEncoding.DecodedLen(len(str)))

		n, err := base64.StdEncoding.Decode(b, str)
		if err != nil {
			return nil, false
		}

		return types.Binary{B: b[:n], Subtype: *el.Subtype}, true

	case elemTypeBool:
		switch string(raw) {
		case "true":
			return true, true
		case "false":
			return false, true
		}

		return nil, false

	case elemTypeDouble:
		if !isJSONNumber(raw) {
			return nil, false
		}

		f, err := strconv.ParseFloat(string(raw), 64)

		return f, err == nil

	case elemTypeInt:
		i, ok := jsonInteger(raw)
		if !ok || int64(int32(i)) != i {
			return nil, false
		}

		return int32(i), true

	case elemTypeLong:
		return jsonInteger(raw)

	case elemTypeDate:
		ms, ok := jsonInteger(raw)
		if !ok {
			return nil, false
		}

		return time.UnixMilli(ms), true

	case elemTypeTimestamp:
		if !isJSONNumber(raw) {
			return nil, false
		}

		ts, err := strconv.ParseUint(string(raw), 10, 64)

		return types.Timestamp(ts), err == nil
	}

	return nil, false
}

// pointerToSubtype returns a pointer to a copy of subtype.
func pointerToSubtype(subtype types.BinarySubtype) *types.BinarySubtype {
	return &subtype
}

// jsonInteger is the JSON number raw as encoding/json decodes it into an int64.
func jsonInteger(raw []byte) (int64, bool) {
	if !isJSONNumber(raw) {
		return 0, false
	}

	i, err := strconv.ParseInt(string(raw), 10, 64)

	return i, err == nil
}

// plainString is the contents of the JSON string raw (quotes included) when it holds no escape, no
// control character and only valid UTF-8: then its bytes are the string itself.
func plainString(raw []byte) ([]byte, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return nil, false
	}

	inner := raw[1 : len(raw)-1]
	ascii := true

	for _, c := range inner {
		if c < 0x20 || c == '\\' || c == '"' {
			return nil, false
		}

		if c >= utf8.RuneSelf {
			ascii = false
		}
	}

	if !ascii && !utf8.Valid(inner) {
		return nil, false
	}

	return inner, true
}

// isJSONNumber reports whether raw is a number of the JSON grammar.
func isJSONNumber(raw []byte) bool {
	i := 0
	if i < len(raw) && raw[i] == '-' {
		i++
	}

	// an integer part without leading zeros
	end := skipDigits(raw, i)
	if end == i || (raw[i] == '0' && end > i+1) {
		return false
	}

	i = end

	if i < len(raw) && raw[i] == '.' {
		if end = skipDigits(raw, i+1); end == i+1 {
			return false
		}

		i = end
	}

	if i < len(raw) && (raw[i] == 'e' || raw[i] == 'E') {
		i++

		if i < len(raw) && (raw[i] == '+' || raw[i] == '-') {
			i++
		}

		if end = skipDigits(raw, i); end == i {
			return false
		}

		i = end
	}

	return i == len(raw)
}

// skipDigits is the index of the first byte of raw from i on that is not a decimal digit.
func skipDigits(raw []byte, i int) int {
	for i < len(raw) && raw[i] >= '0' && raw[i] <= '9' {
		i++
	}

	return i
}

// hasDuplicateKey reports whether two fields have the same key.
func (dec *fastDecoder) hasDuplicateKey(fields []fastField) bool {
	if len(fields) > 32 {
		seen := make(map[string]struct{}, len(fields))
		for _, f := range fields {
			key := string(dec.data[f.key.start:f.key.end])
			if _, dup := seen[key]; dup {
				return true
			}

			seen[key] = struct{}{}
		}

		return false
	}

	for i, f := range fields {
		key := dec.data[f.key.start:f.key.end]
		for _, g := range fields[i+1:] {
			if string(key) == string(dec.data[g.key.start:g.key.end]) {
				return true
			}
		}
	}

	return false
}

// findField is the field with key, or nil.
func (dec *fastDecoder) findField(fields []fastField, key string) *fastField {
	for i := range fields {
		if dec.keyIs(fields[i], key) {
			return &fields[i]
		}
	}

	return nil
}

func (dec *fastDecoder) fail() {
	dec.ok = false
}

func (dec *fastDecoder) skipSpace() {
	for dec.pos < len(dec.data) {
		switch dec.data[dec.pos] {
		case ' ', '\t', '\n', '\r':
			dec.pos++
		default:
			return
		}
	}
}

// consume skips space and then the byte c, failing when it is not there.
func (dec *fastDecoder) consume(c byte) {
	dec.skipSpace()

	if dec.pos >= len(dec.data) || dec.data[dec.pos] != c {
		dec.fail()
		return
	}

	dec.pos++
}

// peek skips space and reports whether the next byte is c.
func (dec *fastDecoder) peek(c byte) bool {
	dec.skipSpace()
	return dec.pos < len(dec.data) && dec.data[dec.pos] == c
}

// object reads an object's fields, their values skipped (each is checked when decoded).
func (dec *fastDecoder) object() []fastField {
	fields := make([]fastField, 0, 16)

	dec.list('{', '}', func() {
		dec.skipSpace()
		start := dec.pos
		dec.skipString()

		key := fastSpan{start: start, end: dec.pos}
		if _, ok := plainString(dec.data[key.start:key.end]); !dec.ok || !ok {
			dec.fail()
			return
		}

		dec.consume(':')
		fields = append(fields, fastField{key: key, value: dec.skipValue()})
	})

	if !dec.ok {
		return nil
	}

	return fields
}

// array reads an array's items, skipped (each is checked when decoded).
func (dec *fastDecoder) array() []fastSpan {
	items := make([]fastSpan, 0, 8)

	dec.list('[', ']', func() {
		items = append(items, dec.skipValue())
	})

	if !dec.ok {
		return nil
	}

	return items
}

// objectAt reads the fields of the object that is exactly s; false when s is not one.
func (dec *fastDecoder) objectAt(s fastSpan) ([]fastField, bool) {
	sub := fastDecoder{data: dec.data, pos: s.start, ok: true}
	if !sub.peek('{') {
		return nil, false
	}

	fields := sub.object()

	return fields, sub.ok && sub.pos == s.end
}

// arrayAt reads the items of the array that is exactly s; false when s is not one.
func (dec *fastDecoder) arrayAt(s fastSpan) ([]fastSpan, bool) {
	sub := fastDecoder{data: dec.data, pos: s.start, ok: true}
	if !sub.peek('[') {
		return nil, false
	}

	items := sub.array()

	return items, sub.ok && sub.pos == s.end
}

// list reads what is between open and close: none, or items separated by commas, each by item.
func (dec *fastDecoder) list(open, close byte, item func()) {
	dec.consume(open)

	if !dec.ok || dec.peek(close) {
		dec.pos++
		return
	}

	for dec.ok {
		item()

		if !dec.ok || !dec.peek(',') {
			break
		}

		dec.pos++
	}

	dec.consume(close)
}

// skipValue skips one value and returns it. Objects and arrays are only matched by their brackets:
// whatever is decoded of them is read again by object or array, which check it.
func (dec *fastDecoder) skipValue() fastSpan {
	dec.skipSpace()
	start := dec.pos

	if dec.pos >= len(dec.data) {
		dec.fail()
		return fastSpan{}
	}

	switch c := dec.data[dec.pos]; {
	case c == '"':
		dec.skipString()
	case c == '{' || c == '[':
		dec.skipNested()
	case c == '-' || (c >= '0' && c <= '9') || c == 't' || c == 'f' || c == 'n':
		for dec.pos < len(dec.data) {
			b := dec.data[dec.pos]
			if b == ',' || b == '}' || b == ']' || b == ' ' || b == '\t' || b == '\n' || b == '\r' {
				break
			}

			dec.pos++
		}
	default:
		dec.fail()
	}

	return fastSpan{start: start, end: dec.pos}
}

// skipNested skips an object or an array: up to the bracket that closes it, strings skipped.
func (dec *fastDecoder) skipNested() {
	depth := 0

	for dec.pos < len(dec.data) {
		switch dec.data[dec.pos] {
		case '"':
			dec.skipString()

			if !dec.ok {
				return
			}

			continue
		case '{', '[':
			depth++
		case '}', ']':
			depth--

			if depth == 0 {
				dec.pos++
				return
			}
		}

		dec.pos++
	}

	dec.fail()
}

// skipString skips a string (quotes included).
func (dec *fastDecoder) skipString() {
	if dec.pos >= len(dec.data) || dec.data[dec.pos] != '"' {
		dec.fail()
		return
	}

	for i := dec.pos + 1; i < len(dec.data); i++ {
		switch dec.data[i] {
		case '"':
			dec.pos = i + 1
			return
		case '\\':
			i++
		}
	}

	dec.fail()
}

// schema decodes the schema here: {"p": {key: elem, ...}, "$k": [keys]}, both optional.
func (dec *fastDecoder) schema() *schema {
	fields := dec.object()
	if !dec.ok || dec.hasDuplicateKey(fields) {
		return nil
	}

	sch := new(schema)

	for _, f := range fields {
		switch {
		case dec.keyIs(f, "p"):
			props, ok := dec.objectAt(f.value)
			if !ok || dec.hasDuplicateKey(props) {
				return nil
			}

			sch.Properties = make(map[string]*elem, len(props))

			for _, p := range props {
				el := fastDecoder{data: dec.data, pos: p.value.start, ok: true}
				if sch.Properties[string(dec.data[p.key.start+1:p.key.end-1])] = el.elem(); !el.ok || el.pos != p.value.end {
					return nil
				}
			}

		case dec.keyIs(f, "$k"):
			items, ok := dec.arrayAt(f.value)
			if !ok {
				return nil
			}

			sch.Keys = make([]string, len(items))
			seen := make(map[string]struct{}, len(items))

			for i, item := range items {
				key, ok := plainString(dec.data[item.start:item.end])
				if !ok {
					return nil
				}

				// A key listed twice would leave a field unchecked: the original decoder answers.
				if _, dup := seen[string(key)]; dup {
					return nil
				}

				seen[string(key)] = struct{}{}
				sch.Keys[i] = string(key)
			}

		default:
			return nil
		}
	}

	return sch
}

// elem decodes the schema element here: {"t": type}, with "$s" for objects and "i" for arrays.
func (dec *fastDecoder) elem() *elem {
	if !dec.peek('{') {
		dec.fail()
		return nil
	}

	fields := dec.object()
	if !dec.ok || dec.hasDuplicateKey(fields) {
		dec.fail()
		return nil
	}

	el := new(elem)

	for _, f := range fields {
		sub := fastDecoder{data: dec.data, pos: f.value.start, ok: true}

		switch {
		case dec.keyIs(f, "t"):
			t, ok := plainString(dec.data[f.value.start:f.value.end])
			if !ok {
				dec.fail()
				return nil
			}

			el.Type = elemType(t)

		case dec.keyIs(f, "$s"):
			if !sub.peek('{') {
				dec.fail()
				return nil
			}

			if el.Schema = sub.schema(); el.Schema == nil || !sub.ok || sub.pos != f.value.end {
				dec.fail()
				return nil
			}

		case dec.keyIs(f, "s"):
			// a binData's subtype: a byte, as encoding/json decodes it into types.BinarySubtype
			raw := dec.data[f.value.start:f.value.end]
			subtype, ok := jsonInteger(raw)
			if !ok || raw[0] == '-' || subtype > 255 {
				dec.fail()
				return nil
			}

			el.Subtype = pointerToSubtype(types.BinarySubtype(subtype))

		case dec.keyIs(f, "i"):
			items, ok := dec.arrayAt(f.value)
			if !ok {
				dec.fail()
				return nil
			}

			el.Items = make([]*elem, len(items))

			for i, item := range items {
				itemDec := fastDecoder{data: dec.data, pos: item.start, ok: true}
				if el.Items[i] = itemDec.elem(); !itemDec.ok || itemDec.pos != item.end {
					dec.fail()
					return nil
				}
			}

		default:
			dec.fail()
			return nil
		}
	}

	return el
}
