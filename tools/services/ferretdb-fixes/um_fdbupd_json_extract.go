//go:build linux && (amd64 || arm64)

package sqlite3

import (
	"bytes"
	"sync"
	"sync/atomic"
	"unsafe"

	"modernc.org/libc"
)

// UMJSONExtractOff turns umJSONExtract off (the tests compare its answers with SQLite's own).
var UMJSONExtractOff atomic.Bool

// UMJSONExtractAnswered counts the calls umJSONExtract answered (the tests check that it was used).
var UMJSONExtractAnswered atomic.Int64

// umJSONExtractMaxDepth is where umJSONExtract stops answering, well before SQLite's JSON_MAX_DEPTH.
const umJSONExtractMaxDepth = 500

// umJSONExtract answers `json -> 'label'` (and `json -> '$.label'`) for a JSON text that is an
// object in canonical JSON (RFC 8259) and a label of ASCII letters, digits and underscores: what
// FerretDB's SQLite backend evaluates for its index expressions (`_ferretdb_sjson->'_id'`,
// `->"field"`) and its `_id` lookups. SQLite converts the whole document into its binary form
// (JSONB) for that, for the stored and for the new document of every updated row and for every
// inserted one; this checks the document in one pass and notes where its members are (umJSONMemo).
// It returns false, and SQLite answers, for anything else: another function or operator, a path
// with more steps, a BLOB, JSON5, malformed JSON, a key with an escape before the member, a value
// with whitespace inside, a document nested deeper than umJSONExtractMaxDepth. Where it answers,
// its answer is SQLite's: the member's text as written (SQLite writes canonical JSON back as it
// was, without whitespace), with the JSON subtype, or NULL when the object has no such member; the
// first such member when it has several, as SQLite.
// Added by the Upgrade Manager build: see tools/services/ferretdb-source-fixes.mjs.
func umJSONExtract(tls *libc.TLS, ctx uintptr, argc int32, argv uintptr) bool {
	if argc != 2 || UMJSONExtractOff.Load() || int32(int64(Xsqlite3_user_data(tls, ctx))) != int32(JSON_JSON) {
		return false
	}

	arg := *(*uintptr)(unsafe.Pointer(argv))
	pathArg := *(*uintptr)(unsafe.Pointer(argv + 8))

	if Xsqlite3_value_type(tls, arg) != int32(SQLITE_TEXT) || Xsqlite3_value_type(tls, pathArg) != int32(SQLITE_TEXT) {
		return false
	}

	label := umJSONExtractLabel(tls, pathArg)
	if label == nil {
		return false
	}

	z := Xsqlite3_value_text(tls, arg)
	n := Xsqlite3_value_bytes(tls, arg)

	if z == 0 || n <= 0 {
		return false
	}

	start, end, ok := umJSONMemoFor(tls).member(unsafe.Slice((*byte)(unsafe.Pointer(z)), n), label)
	if !ok {
		return false
	}

	UMJSONExtractAnswered.Add(1)

	if start >= 0 {
		Xsqlite3_result_text64(tls, ctx, z+uintptr(start), uint64(end-start), uintptr(-libc.Int32FromInt32(1)), uint8(SQLITE_UTF8))
		Xsqlite3_result_subtype(tls, ctx, uint32(JSON_SUBTYPE))
	}

	return true
}

// umJSONExtractLabel returns the label of a path `label` or `$.label` of ASCII letters, digits and
// underscores (the abbreviated form is `$.label` for `->`), else nil.
func umJSONExtractLabel(tls *libc.TLS, pathArg uintptr) []byte {
	z := Xsqlite3_value_text(tls, pathArg)
	n := Xsqlite3_value_bytes(tls, pathArg)

	if z == 0 || n <= 0 {
		return nil
	}

	path := unsafe.Slice((*byte)(unsafe.Pointer(z)), n)
	if len(path) > 2 && path[0] == '$' && path[1] == '.' {
		path = path[2:]
	}

	for _, c := range path {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return nil
		}
	}

	return path
}

// umJSONMember is where a member of a JSON object is: its key (without the quotes) and its value.
type umJSONMember struct {
	keyStart, keyEnd, valueStart, valueEnd int
	escaped                                bool // its key has an escape
	spaced                                 bool // its value has whitespace inside
}

// umJSONMemo keeps the members of the last documents a connection's `->` read: an update evaluates
// `->` on the stored and on the new document once per index.
type umJSONMemo struct {
	mu   sync.Mutex
	docs [2]struct {
		text    []byte
		members []umJSONMember
	}
	last int
}

// umJSONMemoMaxBytes is the size of the largest document a umJSONMemo keeps.
const umJSONMemoMaxBytes = 64 << 10

// umJSONMemos are shared by the connections, each using the one its TLS address selects.
var umJSONMemos [64]umJSONMemo

func umJSONMemoFor(tls *libc.TLS) *umJSONMemo {
	return &umJSONMemos[(uintptr(unsafe.Pointer(tls))>>6)%uintptr(len(umJSONMemos))]
}

// member returns where the value of the first member of doc named label starts and ends (start -1:
// none); ok is false when doc is not an object in canonical JSON, when a key before that member has
// an escape, or when the value has whitespace inside.
func (m *umJSONMemo) member(doc []byte, label []byte) (start, end int, ok bool) {
	if len(doc) > umJSONMemoMaxBytes {
		members, valid := umJSONMembers(doc, nil)
		if !valid {
			return 0, 0, false
		}

		return umJSONFind(doc, members, label)
	}

	m.mu.Lock()
	defer m.mu.Unlock()

	d := &m.docs[m.last]
	if !bytes.Equal(d.text, doc) {
		m.last = 1 - m.last
		d = &m.docs[m.last]

		if !bytes.Equal(d.text, doc) {
			var valid bool
			if d.members, valid = umJSONMembers(doc, d.members[:0]); !valid {
				d.text = d.text[:0]
				return 0, 0, false
			}

			d.text = append(d.text[:0], doc...)
		}
	}

	return umJSONFind(doc, d.members, label)
}

// umJSONFind returns where the value of the first of the members named label starts and ends
// (start -1: none), and ok false when a key before it has an escape or its value whitespace inside.
func umJSONFind(doc []byte, members []umJSONMember, label []byte) (start, end int, ok bool) {
	for _, member := range members {
		if member.escaped || member.keyEnd-member.keyStart == len(label) && string(doc[member.keyStart:member.keyEnd]) == string(label) {
			if member.escaped || member.spaced {
				return 0, 0, false
			}

			return member.valueStart, member.valueEnd, true
		}
	}

	return -1, 0, true
}

// umJSONMembers checks that doc is an object in canonical JSON and appends its members to members.
func umJSONMembers(doc []byte, members []umJSONMember) ([]umJSONMember, bool) {
	i := umJSONSpace(doc, 0)
	if i >= len(doc) || doc[i] != '{' {
		return members, false
	}

	i = umJSONSpace(doc, i+1)
	if i < len(doc) && doc[i] == '}' {
		i++
	} else {
		for {
			if i >= len(doc) || doc[i] != '"' {
				return members, false
			}

			keyEnd, escaped := umJSONString(doc, i)
			if keyEnd < 0 {
				return members, false
			}

			member := umJSONMember{keyStart: i + 1, keyEnd: keyEnd - 1, escaped: escaped}

			i = umJSONSpace(doc, keyEnd)
			if i >= len(doc) || doc[i] != ':' {
				return members, false
			}

			i = umJSONSpace(doc, i+1)

			valueEnd, spaced := umJSONValue(doc, i, 1)
			if valueEnd < 0 {
				return members, false
			}

			member.valueStart, member.valueEnd, member.spaced = i, valueEnd, spaced
			members = append(members, member)

			i = umJSONSpace(doc, valueEnd)
			if i >= len(doc) {
				return members, false
			}

			if doc[i] == '}' {
				i++
				break
			}

			if doc[i] != ',' {
				return members, false
			}

			i = umJSONSpace(doc, i+1)
		}
	}

	return members, umJSONSpace(doc, i) == len(doc)
}

// umJSONSpace skips JSON whitespace from i.
func umJSONSpace(doc []byte, i int) int {
	for i < len(doc) && (doc[i] == ' ' || doc[i] == '\n' || doc[i] == '\r' || doc[i] == '\t') {
		i++
	}

	return i
}

// umJSONString checks the canonical JSON string at doc[i] (a quote) and returns the index after it
// (-1: not one) and whether it has an escape.
func umJSONString(doc []byte, i int) (end int, escaped bool) {
	for i++; i < len(doc); i++ {
		c := doc[i]

		switch {
		case c == '"':
			return i + 1, escaped
		case c < 0x20:
			return -1, false
		case c == '\\':
			escaped = true
			i++

			if i >= len(doc) {
				return -1, false
			}

			switch doc[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(doc) {
					return -1, false
				}

				for _, h := range doc[i+1 : i+5] {
					if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
						return -1, false
					}
				}

				i += 4
			default:
				return -1, false
			}
		}
	}

	return -1, false
}

// umJSONValue checks the canonical JSON value at doc[i] and returns the index after it (-1: not one)
// and whether it has whitespace inside.
func umJSONValue(doc []byte, i int, depth int) (end int, spaced bool) {
	if i >= len(doc) {
		return -1, false
	}

	switch c := doc[i]; {
	case c == '"':
		end, _ = umJSONString(doc, i)
		return end, false

	case c == '{' || c == '[':
		if depth > umJSONExtractMaxDepth {
			return -1, false
		}

		closing := byte('}')
		if c == '[' {
			closing = ']'
		}

		j := umJSONSpace(doc, i+1)
		spaced = j != i+1

		if j < len(doc) && doc[j] == closing {
			return j + 1, spaced
		}

		for {
			if c == '{' {
				if j >= len(doc) || doc[j] != '"' {
					return -1, false
				}

				keyEnd, _ := umJSONString(doc, j)
				if keyEnd < 0 {
					return -1, false
				}

				k := umJSONSpace(doc, keyEnd)
				if k >= len(doc) || doc[k] != ':' {
					return -1, false
				}

				j = umJSONSpace(doc, k+1)
				spaced = spaced || k != keyEnd || j != k+1
			}

			valueEnd, valueSpaced := umJSONValue(doc, j, depth+1)
			if valueEnd < 0 {
				return -1, false
			}

			j = umJSONSpace(doc, valueEnd)
			spaced = spaced || valueSpaced || j != valueEnd

			if j >= len(doc) {
				return -1, false
			}

			if doc[j] == closing {
				return j + 1, spaced
			}

			if doc[j] != ',' {
				return -1, false
			}

			k := umJSONSpace(doc, j+1)
			spaced = spaced || k != j+1
			j = k
		}

	case c == '-' || '0' <= c && c <= '9':
		return umJSONNumber(doc, i), false

	case c == 't':
		return umJSONLiteral(doc, i, "true"), false

	case c == 'f':
		return umJSONLiteral(doc, i, "false"), false

	case c == 'n':
		return umJSONLiteral(doc, i, "null"), false
	}

	return -1, false
}

// umJSONLiteral checks the literal at doc[i] and returns the index after it, or -1.
func umJSONLiteral(doc []byte, i int, literal string) int {
	if len(doc)-i < len(literal) || string(doc[i:i+len(literal)]) != literal {
		return -1
	}

	return i + len(literal)
}

// umJSONNumber checks the canonical JSON number at doc[i] and returns the index after it, or -1.
func umJSONNumber(doc []byte, i int) int {
	digits := func(j int) int {
		k := j
		for k < len(doc) && '0' <= doc[k] && doc[k] <= '9' {
			k++
		}

		return k
	}

	if doc[i] == '-' {
		i++
	}

	switch {
	case i >= len(doc):
		return -1
	case doc[i] == '0':
		i++
	case '1' <= doc[i] && doc[i] <= '9':
		i = digits(i)
	default:
		return -1
	}

	if i < len(doc) && doc[i] == '.' {
		j := digits(i + 1)
		if j == i+1 {
			return -1
		}

		i = j
	}

	if i < len(doc) && (doc[i] == 'e' || doc[i] == 'E') {
		i++
		if i < len(doc) && (doc[i] == '+' || doc[i] == '-') {
			i++
		}

		j := digits(i)
		if j == i {
			return -1
		}

		i = j
	}

	return i
}
