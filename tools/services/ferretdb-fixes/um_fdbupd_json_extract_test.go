//go:build linux && (amd64 || arm64)

package sqlite

import (
	"database/sql"
	"fmt"
	"math/rand"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	sqlite3 "modernc.org/sqlite/lib"
)

// umJSONExtractAnswer is what SQLite answers for `doc -> path`: the value, its type, whether it has the JSON
// subtype (json_quote leaves such a value as it is), or the error.
type umJSONExtractAnswer struct {
	value, typ, quoted sql.NullString
	err                string
}

func umJSONExtractQuery(t *testing.T, db *sql.DB, doc, path string) umJSONExtractAnswer {
	t.Helper()

	var a umJSONExtractAnswer

	row := db.QueryRow(`SELECT ? -> ?, typeof(? -> ?), json_quote(? -> ?)`, doc, path, doc, path, doc, path)
	if err := row.Scan(&a.value, &a.typ, &a.quoted); err != nil {
		a.err = err.Error()
	}

	return a
}

// umJSONRandomDoc writes a random JSON object: canonical JSON as FerretDB writes it (three in five), or with
// whitespace, JSON5, escaped or repeated keys, or damaged.
func umJSONRandomDoc(r *rand.Rand) string {
	var b strings.Builder

	noisy := r.Intn(5) < 2
	pick := func(canonical int, all []string) string {
		if noisy {
			return all[r.Intn(len(all))]
		}

		return all[r.Intn(canonical)]
	}

	keys := []string{`_id`, `a`, `b`, `$s`, `gatewayId`, `x y`, `é`, `a.b`, ``, `\u005fid`, `_i\"d`}
	space := func() {
		if noisy && r.Intn(8) == 0 {
			b.WriteString([]string{" ", "\n", "\t", "\r\n", "  ", "/*c*/", "\f", "\v"}[r.Intn(8)])
		}
	}

	var value func(depth int)
	value = func(depth int) {
		space()

		switch k := r.Intn(14); {
		case k < 3 && depth < 5:
			b.WriteByte('{')
			for i, n := 0, r.Intn(4); i < n; i++ {
				if i > 0 {
					b.WriteByte(',')
				}
				space()
				fmt.Fprintf(&b, `"%s"`, keys[r.Intn(len(keys))])
				space()
				b.WriteByte(':')
				value(depth + 1)
			}
			if noisy && r.Intn(30) == 0 {
				b.WriteByte(',') // JSON5
			}
			space()
			b.WriteByte('}')
		case k < 5 && depth < 5:
			b.WriteByte('[')
			for i, n := 0, r.Intn(4); i < n; i++ {
				if i > 0 {
					b.WriteByte(',')
				}
				value(depth + 1)
			}
			space()
			b.WriteByte(']')
		case k < 9:
			strs := []string{
				`"gw-1"`, `"6b110094d6641178292cb710"`, `""`, `"a\"b"`, `"a\\b"`, `"\u00e9\n\t\/"`, `"é ü"`, `"x'y"`,
				`'single'`, `"a\'b"`, `"\x41"`, `"tab	in"`, `"\u12"`, `"\q"`, "\"a\x7fb\"", `"unterminated`,
			}
			b.WriteString(pick(8, strs))
		case k < 12:
			nums := []string{
				`0`, `-0`, `1`, `-17`, `1.5`, `1e5`, `1E+5`, `-2.5e-3`, `123456789012345678901234567890`, `1.0`,
				`0x1F`, `+1`, `.5`, `5.`, `01`, `Infinity`, `NaN`, `-`, `1e`, `1.e3`,
			}
			b.WriteString(pick(10, nums))
		default:
			b.WriteString(pick(3, []string{`true`, `false`, `null`, `tru`, `nul`, `truex`}))
		}

		space()
	}

	b.WriteByte('{')
	for i, n := 0, r.Intn(6); i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		space()
		if noisy && r.Intn(40) == 0 {
			b.WriteString(`_id`) // JSON5 key without quotes
		} else {
			fmt.Fprintf(&b, `"%s"`, keys[r.Intn(len(keys))])
		}
		space()
		b.WriteByte(':')
		value(1)
	}
	space()
	b.WriteByte('}')
	space()

	doc := b.String()

	if !noisy {
		return doc
	}

	switch r.Intn(10) {
	case 0:
		doc = doc[:r.Intn(len(doc))]
	case 1:
		doc += "x"
	case 2:
		doc = "[" + doc + "]"
	case 3:
		i := r.Intn(len(doc))
		doc = doc[:i] + "\x00" + doc[i:]
	}

	return doc
}

// TestUMJSONExtract compares umJSONExtract's answers with SQLite's own on random documents and paths, and
// checks that the index entries written while it answers are SQLite's (added by the Upgrade Manager build: see
// tools/services/ferretdb-source-fixes.mjs). Run in a patched source: go test -run UMJSONExtract modernc.org/sqlite
func TestUMJSONExtract(t *testing.T) {
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "json.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	defer sqlite3.UMJSONExtractOff.Store(false)

	db.SetMaxOpenConns(1)

	paths := []string{`_id`, `$._id`, `a`, `$.a`, `gatewayId`, `a.b`, `$.a.b`, `$`, ``, `[0]`, `$[0]`, `0`, `a-b`, `$."_id"`, `$.`, `é`}
	r := rand.New(rand.NewSource(1))
	answered := sqlite3.UMJSONExtractAnswered.Load()

	for i := 0; i < 20000; i++ {
		doc := umJSONRandomDoc(r)
		if i%1000 == 0 { // larger than what a connection's memo keeps
			doc = `{"pad":"` + strings.Repeat("x", 70<<10) + `",` + doc[1:]
		}
		path := paths[r.Intn(len(paths))]
		if r.Intn(4) != 0 {
			path = paths[r.Intn(5)] // the paths it answers
		}

		sqlite3.UMJSONExtractOff.Store(true)
		expected := umJSONExtractQuery(t, db, doc, path)
		sqlite3.UMJSONExtractOff.Store(false)
		actual := umJSONExtractQuery(t, db, doc, path)

		if actual != expected {
			t.Fatalf("%q -> %q: %+v, SQLite: %+v", doc, path, actual, expected)
		}
	}

	if n := sqlite3.UMJSONExtractAnswered.Load() - answered; n < 3*20000/4 {
		t.Fatalf("umJSONExtract answered %d of %d calls", n, 3*20000)
	}

	// index entries written with it are SQLite's: the integrity check recomputes them without it
	for _, q := range []string{
		`CREATE TABLE t (d TEXT)`,
		`CREATE UNIQUE INDEX t_id ON t (d->'_id')`,
		`CREATE INDEX t_a_b ON t (d->"a"->"b")`,
	} {
		if _, err = db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}

	for i := 0; i < 300; i++ {
		if _, err = db.Exec(`INSERT INTO t (d) VALUES (?)`, fmt.Sprintf(`{"$s":{"p":{"_id":{"t":"string"}}},"_id":"gw-%d","a":{"b":[%d,"x"]}}`, i, i%7)); err != nil {
			t.Fatal(err)
		}
	}

	for i := 0; i < 300; i += 2 {
		doc := fmt.Sprintf(`{"$s":{"p":{}},"_id":"gw-%d","a":{"b":{"c":%d}},"n":%d}`, i, i%5, i)
		if _, err = db.Exec(`UPDATE t SET d = ? WHERE d->'_id' = ?`, doc, fmt.Sprintf(`"gw-%d"`, i)); err != nil {
			t.Fatal(err)
		}
	}

	var n int
	if err = db.QueryRow(`SELECT count(*) FROM t WHERE d->'_id' = '"gw-42"' AND d->'n' = '42'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("lookup by the index: %d, %v", n, err)
	}

	sqlite3.UMJSONExtractOff.Store(true)

	var check string
	if err = db.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check: %q, %v", check, err)
	}
}

// TestUMJSONExtractEdges compares umJSONExtract's answers with SQLite's on the edge cases of the input it answers:
// repeated and escaped keys, escapes, surrogates, invalid UTF-8 and DEL in strings, the numbers and literals of
// canonical JSON, nested values with and without whitespace, labels of digits, the depth bound and the 64 KiB
// bound (which the random documents of TestUMJSONExtract reach only by chance or not at all).
func TestUMJSONExtractEdges(t *testing.T) {
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "json.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	defer sqlite3.UMJSONExtractOff.Store(false)

	db.SetMaxOpenConns(1)

	deep := func(n int) string { return `{"_id":` + strings.Repeat("[", n) + strings.Repeat("]", n) + `}` }
	docs := []string{
		`{"_id":1,"_id":2}`, `{"a":1,"_id":2,"_id":3}`, `{"\u005fid":1,"_id":2}`, `{"_id":2,"\u005fid":1}`,
		`{"_id":"\ud83d\ude00"}`, `{"_id":"\ud800"}`, `{"_id":"\u0000x"}`, "{\"_id\":\"\xff\xfe\"}", "{\"_id\":\"\xc0\x80\"}",
		"{\"_id\":\"a\x7f\"}", `{"_id":"\/"}`, "{\"_id\":\"\u2028\"}", `{"_id":"a b"}`, `{"_id":"a'b"}`, `{"_id":"\\"}`,
		`{"_id":-0}`, `{"_id":0e5}`, `{"_id":0E-0}`, `{"_id":-0.0e+00}`, `{"_id":1E+05}`, `{"_id":0.10}`, `{"_id":1.5E-3}`,
		`{"_id":123456789012345678901234567890}`, `{"_id":1e999}`, `{"_id":-1e-999}`, `{"_id":9223372036854775808}`,
		`{"_id":true}`, `{"_id":false}`, `{"_id":null}`, `{"_id":{}}`, `{"_id":[]}`, `{"_id":{"\u005f":"\u00e9"}}`,
		`{"_id":{"a":[1,{"b":null}],"c":""}}`, `{ "_id" : 1 }`, `{"_id":{"a" :1}}`, `{"_id":[1 ]}`, `{"_id":[ ]}`,
		"{\"_id\":{\"a\":1}\n}", "{\"_id\":1}\n", "\xef\xbb\xbf{\"_id\":1}", `{"é":1,"_id":2}`, "{\"\x7f\":1,\"_id\":2}",
		`{"0":5,"_id":1}`, `{"1a":5}`, `{"A_1":7}`, `{"_id":"x"}garbage`, "{\"_id\":\"x\"}\x00{\"_id\":\"y\"}",
		deep(499), deep(500), deep(501), deep(999), deep(1000), deep(1001),
		`{"pad":"` + strings.Repeat("y", 64<<10) + `","_id":{"a":1}}`, `{"pad":"` + strings.Repeat("y", 70<<10) + `","_id":[2]}`,
		`{"_id":-}`, `{"_id":01}`, `{"_id":1.}`, `{"_id":.5}`, `{"_id":+1}`, `{"_id":"\x"}`, `{"_id":"\u12G4"}`, "{\"_id\":\"\t\"}",
		`{"_id":1,}`, `{,"_id":1}`, `{"_id":1 "a":2}`, `{"_id" 1}`, `{"_id":1}}`, `{"_id":[1,]}`, `{"_id":{"a":1,}}`,
	}
	paths := []string{`_id`, `$._id`, `0`, `$.0`, `1a`, `$.1a`, `A_1`, `a`, `_ID`, `$."_id"`}
	answered := sqlite3.UMJSONExtractAnswered.Load()

	for _, doc := range docs {
		for _, path := range paths {
			sqlite3.UMJSONExtractOff.Store(true)
			expected := umJSONExtractQuery(t, db, doc, path)
			sqlite3.UMJSONExtractOff.Store(false)

			if actual := umJSONExtractQuery(t, db, doc, path); actual != expected {
				t.Errorf("%.80q -> %q: %+v, SQLite: %+v", doc, path, actual, expected)
			}
		}
	}

	if n := sqlite3.UMJSONExtractAnswered.Load() - answered; n < int64(3*len(docs)*len(paths)/2) {
		t.Fatalf("umJSONExtract answered %d of %d calls", n, 3*len(docs)*len(paths))
	}
}

// TestUMJSONExtractConnections has eight connections read documents of the same length (the same members in
// another order, other values) at once: each answer is SQLite's, whichever memo the connections share.
func TestUMJSONExtractConnections(t *testing.T) {
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "json.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	defer sqlite3.UMJSONExtractOff.Store(false)

	db.SetMaxOpenConns(8)

	type query struct{ doc, path string }

	var queries []query

	r := rand.New(rand.NewSource(2))
	for i := 0; i < 500; i++ {
		members := []string{fmt.Sprintf(`"_id":"gw-%d"`, r.Intn(10)), fmt.Sprintf(`"gatewayId":"gw-%d"`, r.Intn(10)), fmt.Sprintf(`"a":%d`, r.Intn(10))}
		r.Shuffle(len(members), func(i, j int) { members[i], members[j] = members[j], members[i] })
		queries = append(queries, query{`{` + strings.Join(members, ",") + `}`, []string{`_id`, `gatewayId`, `a`, `b`}[r.Intn(4)]})
	}

	sqlite3.UMJSONExtractOff.Store(true)

	expected := make([]umJSONExtractAnswer, len(queries))
	for i, q := range queries {
		expected[i] = umJSONExtractQuery(t, db, q.doc, q.path)
	}

	sqlite3.UMJSONExtractOff.Store(false)

	var wg sync.WaitGroup

	for g := 0; g < 8; g++ {
		wg.Add(1)

		go func(g int) {
			defer wg.Done()

			for i := g; i < 4*len(queries); i += 1 + g%3 {
				q := queries[i%len(queries)]
				if actual := umJSONExtractQuery(t, db, q.doc, q.path); actual != expected[i%len(queries)] {
					t.Errorf("%q -> %q: %+v, SQLite: %+v", q.doc, q.path, actual, expected[i%len(queries)])
					return
				}
			}
		}(g)
	}

	wg.Wait()
}
