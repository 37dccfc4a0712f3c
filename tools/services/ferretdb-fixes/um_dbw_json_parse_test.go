package sqlite

// Tests of SQLITE_JSON_PARSE_NO_DEFER (tools/services/ferretdb-source-fixes.mjs): the JSON parser
// allocates its one C-stack slot only for a JSON5 label without quotes and frees it there. Run by
// the Upgrade Manager build (`go test -run UMJSONParse modernc.org/sqlite` in the fixed source).

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

func umJSONOpen(t *testing.T) *sql.DB {
	t.Helper()

	db, err := sql.Open(driverName, "file:"+filepath.Join(t.TempDir(), "j.db"))
	if err != nil {
		t.Fatal(err)
	}

	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })

	return db
}

func umJSONQuery(t *testing.T, db *sql.DB, query string, args ...any) string {
	t.Helper()

	var s sql.NullString
	if err := db.QueryRow(query, args...).Scan(&s); err != nil {
		t.Fatalf("%s %v: %v", query, args, err)
	}

	return s.String
}

// JSON5 labels without quotes (with \u escapes too) read as their quoted equivalents; a member
// that is no label at all is invalid; documents as FerretDB stores them parse as before.
func TestUMJSONParseLabels(t *testing.T) {
	db := umJSONOpen(t)

	for json5, quoted := range map[string]string{
		`{a:1}`:                         `{"a":1}`,
		`{ab_c:1, $d:[2,{e:3}], f:"x"}`: `{"ab_c":1,"$d":[2,{"e":3}],"f":"x"}`,
		`{\u0061b:1}`:                   `{"\u0061b":1}`,
		`{a\u0062:{c\u0064:2}}`:         `{"a\u0062":{"c\u0064":2}}`,
		`{"$s":{"p":{"_id":{"t":"string"}}},"_id":"gw-1"}`: `{"$s":{"p":{"_id":{"t":"string"}}},"_id":"gw-1"}`,
	} {
		got := umJSONQuery(t, db, `SELECT json(?)`, json5)
		want := umJSONQuery(t, db, `SELECT json(?)`, quoted)

		if got != want || got == "" {
			t.Errorf("json(%s) = %q, want %q", json5, got, want)
		}
	}

	for _, invalid := range []string{`{@:1}`, `{1:2}`, `{a b}`, `{\u00zz:1}`, `{a:1,:2}`} {
		if got := umJSONQuery(t, db, `SELECT json_valid(?, 2)`, invalid); got != "0" {
			t.Errorf("json_valid(%s) = %s, want 0", invalid, got)
		}
	}

	if got := umJSONQuery(t, db, `SELECT ?->'x'`, `{w:1, x:{y:[1,2,3]}, z:null}`); got != `{"y":[1,2,3]}` {
		t.Errorf(`->'x' = %q`, got)
	}
}

// Many parses in one statement and one connection, valid and invalid ones, with and without
// labels in quotes, leave the C stack as it was: the same results every round.
func TestUMJSONParseManyRounds(t *testing.T) {
	db := umJSONOpen(t)

	var doc strings.Builder
	doc.WriteString(`{`)

	for i := 0; i < 50; i++ {
		if i > 0 {
			doc.WriteString(`,`)
		}

		fmt.Fprintf(&doc, `k%d:{"v":[%d,"s",{u\u0076:true}]}`, i, i)
	}

	doc.WriteString(`}`)

	const query = `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
		SELECT count(*) || ':' || sum(json_valid(? || '', 2)) || ':' || sum(json_valid('{@' || i || ':1}', 2))
		|| ':' || sum(json_extract(? || '', '$.k' || (i % 50) || '.v[0]')) FROM n`

	want := umJSONQuery(t, db, query, doc.String(), doc.String())

	for round := 0; round < 5; round++ {
		if got := umJSONQuery(t, db, query, doc.String(), doc.String()); got != want {
			t.Fatalf("round %d: %q, want %q", round, got, want)
		}
	}

	if !strings.HasPrefix(want, "2000:2000:0:") {
		t.Fatalf("got %q", want)
	}
}
