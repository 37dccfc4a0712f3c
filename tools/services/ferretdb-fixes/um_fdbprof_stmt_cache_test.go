package sqlite

// Tests of the kept statements (um_fdbprof_stmt_cache.go): run by the Upgrade Manager build
// (`go test -run UMStmtCache modernc.org/sqlite` in the fixed FerretDB source).

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	sqlite3 "modernc.org/sqlite/lib"
)

// umOpen opens a database file of one connection (so that every statement meets the same cache).
func umOpen(t *testing.T) *sql.DB {
	t.Helper()

	db, err := sql.Open(driverName, "file:"+filepath.Join(t.TempDir(), "t.db")+"?_pragma=journal_mode(wal)")
	if err != nil {
		t.Fatal(err)
	}

	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })

	umExec(t, db, `CREATE TABLE t (_ferretdb_sjson TEXT)`)
	umExec(t, db, `CREATE UNIQUE INDEX t_id ON t (_ferretdb_sjson->'_id')`)

	return db
}

func umExec(t *testing.T, db *sql.DB, query string, args ...any) sql.Result {
	t.Helper()

	r, err := db.Exec(query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}

	return r
}

// umKept is the number of statements the (only) connection keeps.
func umKept(t *testing.T, db *sql.DB) int {
	t.Helper()

	c, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	var n int
	if err = c.Raw(func(dc any) error {
		n = len(dc.(*conn).stmtCache.stmts)
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	return n
}

func umDoc(id, v int) string {
	return fmt.Sprintf(`{"_id":"%d","v":%d}`, id, v)
}

const umUpdate = `UPDATE t SET _ferretdb_sjson = ? WHERE _ferretdb_sjson->'_id' = ?`

func TestUMStmtCacheRepeatedWrites(t *testing.T) {
	db := umOpen(t)

	for i := 0; i < 50; i++ {
		umExec(t, db, `INSERT INTO t (_ferretdb_sjson) VALUES (?)`, umDoc(i, 0))
	}

	for round := 1; round <= 3; round++ {
		for i := 0; i < 50; i++ {
			r := umExec(t, db, umUpdate, umDoc(i, round*100+i), fmt.Sprintf(`"%d"`, i))
			if n, _ := r.RowsAffected(); n != 1 {
				t.Fatalf("round %d, document %d: %d rows affected", round, i, n)
			}
		}
	}

	r := umExec(t, db, umUpdate, umDoc(999, 1), `"999"`)
	if n, _ := r.RowsAffected(); n != 0 {
		t.Fatalf("an update of nothing affected %d rows", n)
	}

	var sum int
	if err := db.QueryRow(`SELECT sum(_ferretdb_sjson->>'v') FROM t`).Scan(&sum); err != nil {
		t.Fatal(err)
	}

	if want := 50*300 + 49*50/2; sum != want {
		t.Fatalf("sum %d, want %d", sum, want)
	}

	if n := umKept(t, db); n != 3 {
		t.Fatalf("%d statements kept, want 3 (the insert, the update and the sum)", n)
	}

	// an insert's result carries its row id, as without the cache
	r = umExec(t, db, `INSERT INTO t (_ferretdb_sjson) VALUES (?)`, umDoc(50, 0))
	if id, _ := r.LastInsertId(); id != 51 {
		t.Fatalf("last insert id %d, want 51", id)
	}
}

func TestUMStmtCacheErrorsAndSchemaChanges(t *testing.T) {
	db := umOpen(t)
	insert := `INSERT INTO t (_ferretdb_sjson) VALUES (?)`

	umExec(t, db, insert, umDoc(1, 1))

	// a duplicate _id is the error FerretDB turns into E11000, and the connection goes on
	_, err := db.Exec(insert, umDoc(1, 2))

	var se *Error
	if !errors.As(err, &se) || se.Code() != sqlite3.SQLITE_CONSTRAINT_UNIQUE {
		t.Fatalf("duplicate insert: %v, want SQLITE_CONSTRAINT_UNIQUE", err)
	}

	umExec(t, db, insert, umDoc(2, 2))

	// a kept statement does not stop its table from being dropped on the same connection, and
	// fails like a new one once it is gone
	umExec(t, db, `DROP TABLE t`)

	if _, err = db.Exec(insert, umDoc(3, 3)); err == nil {
		t.Fatal("insert into a dropped table succeeded")
	}

	// a table of the same name but another shape: the statement is compiled again
	umExec(t, db, `CREATE TABLE t (extra INTEGER, _ferretdb_sjson TEXT)`)
	umExec(t, db, insert, umDoc(4, 4))
	umExec(t, db, insert, umDoc(5, 5))

	var n int
	if err = db.QueryRow(`SELECT count(*) FROM t WHERE extra IS NULL`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("count %d, %v; want 2", n, err)
	}

	// a bad argument fails without keeping anything bound
	if _, err = db.Exec(umUpdate, umDoc(4, 4)); err == nil {
		t.Fatal("an update missing an argument succeeded")
	}

	umExec(t, db, umUpdate, umDoc(4, 40), `"4"`)
}

func TestUMStmtCacheBoundAndFallbacks(t *testing.T) {
	db := umOpen(t)

	for i := 0; i < 3*stmtCacheSize; i++ {
		// distinct texts (the same statement with i placeholders of which all but one are unused)
		q := fmt.Sprintf(`DELETE FROM t WHERE _ferretdb_sjson->'_id' IN (?%s)`, repeatPlaceholder(i))
		args := make([]any, i+1)
		for j := range args {
			args[j] = fmt.Sprintf(`"%d"`, j)
		}

		umExec(t, db, `INSERT INTO t (_ferretdb_sjson) VALUES (?)`, umDoc(i, i))
		r := umExec(t, db, q, args...)

		if n, _ := r.RowsAffected(); n != 1 {
			t.Fatalf("delete %d affected %d rows", i, n)
		}
	}

	if n := umKept(t, db); n != stmtCacheSize {
		t.Fatalf("%d statements kept, want %d", n, stmtCacheSize)
	}

	// several statements and schema changes run as before, uncached
	umExec(t, db, `INSERT INTO t (_ferretdb_sjson) VALUES ('{"_id":"a"}'); INSERT INTO t (_ferretdb_sjson) VALUES ('{"_id":"b"}')`)

	var n int
	if err := db.QueryRow(`SELECT count(*) FROM t`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("count %d, %v; want 2", n, err)
	}

	if cacheableExec(`CREATE TABLE x (a)`) || cacheableExec(`INSERT INTO t VALUES (1); SELECT 1`) || !cacheableExec(" update t SET a = 1") {
		t.Fatal("cacheableExec")
	}

	// a cancelled context fails at once
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	if _, err := db.ExecContext(ctx, `INSERT INTO t (_ferretdb_sjson) VALUES (?)`, umDoc(7, 7)); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled insert: %v", err)
	}

	// closing finalizes what is kept: SQLite then has no statement left on the connection
	c, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}

	if err = c.Raw(func(dc any) error {
		cn := dc.(*conn)
		cn.stmtCache.finalizeAll(cn)

		if p := sqlite3.Xsqlite3_next_stmt(cn.tls, cn.db, 0); p != 0 {
			return fmt.Errorf("a statement is left after finalizeAll")
		}

		return nil
	}); err != nil {
		t.Fatal(err)
	}

	c.Close()
}

func TestUMStmtCacheQueries(t *testing.T) {
	db := umOpen(t)
	byID := `SELECT _ferretdb_sjson FROM t WHERE _ferretdb_sjson->'_id' = ?`

	for i := 0; i < 10; i++ {
		umExec(t, db, `INSERT INTO t (_ferretdb_sjson) VALUES (?)`, umDoc(i, i))
	}

	// the same query again and again, found or not, read to the end or not
	for round := 0; round < 3; round++ {
		for i := 0; i < 12; i++ {
			var doc string

			err := db.QueryRow(byID, fmt.Sprintf(`"%d"`, i)).Scan(&doc)

			switch {
			case i < 10 && (err != nil || doc != umDoc(i, i)):
				t.Fatalf("document %d: %q, %v", i, doc, err)
			case i >= 10 && !errors.Is(err, sql.ErrNoRows):
				t.Fatalf("document %d: %v, want no rows", i, err)
			}
		}
	}

	all := `SELECT _ferretdb_sjson FROM t ORDER BY _ferretdb_sjson->'_id'`

	// two rows of the same query open at once on one connection: the second compiles its own
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}

	first, err := tx.Query(all)
	if err != nil {
		t.Fatal(err)
	}

	if !first.Next() {
		t.Fatal("no first row")
	}

	second, err := tx.Query(all)
	if err != nil {
		t.Fatal(err)
	}

	n := 0
	for second.Next() {
		n++
	}

	if err = second.Close(); err != nil || n != 10 {
		t.Fatalf("second rows: %d, %v", n, err)
	}

	n = 1
	for first.Next() {
		n++
	}

	if err = first.Close(); err != nil || n != 10 {
		t.Fatalf("first rows: %d, %v", n, err)
	}

	if err = tx.Commit(); err != nil {
		t.Fatal(err)
	}

	// a write is not blocked by a kept query's statement, closed half-read
	rows, err := db.Query(all)
	if err != nil {
		t.Fatal(err)
	}

	rows.Next()
	rows.Close()

	umExec(t, db, umUpdate, umDoc(3, 33), `"3"`)

	var doc string
	if err = db.QueryRow(byID, `"3"`).Scan(&doc); err != nil || doc != umDoc(3, 33) {
		t.Fatalf("updated document: %q, %v", doc, err)
	}

	// a failing query (no such table) is thrown away, and the connection goes on
	if _, err = db.Query(`SELECT _ferretdb_sjson FROM missing`); err == nil {
		t.Fatal("query of a missing table succeeded")
	}

	if n := umKept(t, db); n != 4 {
		t.Fatalf("%d statements kept, want 4 (insert, byID, all, update)", n)
	}
}

func TestUMStmtCacheInUseNotEvicted(t *testing.T) {
	db := umOpen(t)

	umExec(t, db, `INSERT INTO t (_ferretdb_sjson) VALUES (?)`, umDoc(1, 1))

	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}

	open, err := tx.Query(`SELECT _ferretdb_sjson FROM t`)
	if err != nil {
		t.Fatal(err)
	}

	// far more other statements than the cache holds while the first rows stay open
	for i := 0; i < 3*stmtCacheSize; i++ {
		var n int
		if err = tx.QueryRow(fmt.Sprintf(`SELECT %d + count(*) FROM t`, i)).Scan(&n); err != nil || n != i+1 {
			t.Fatalf("query %d: %d, %v", i, n, err)
		}
	}

	var doc string
	if !open.Next() || open.Scan(&doc) != nil || doc != umDoc(1, 1) {
		t.Fatalf("the open rows lost their statement: %q", doc)
	}

	if err = open.Close(); err != nil {
		t.Fatal(err)
	}

	if err = tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func repeatPlaceholder(n int) string {
	s := ""
	for i := 0; i < n; i++ {
		s += ", ?"
	}

	return s
}

// umSelectByID reads the document of _id id (a JSON string) with a kept SELECT.
func umSelectByID(t *testing.T, db *sql.DB, id string) string {
	t.Helper()

	var s string
	if err := db.QueryRow(`SELECT _ferretdb_sjson FROM t WHERE _ferretdb_sjson->'_id' = ?`, id).Scan(&s); err != nil {
		t.Fatal(err)
	}

	return s
}

func TestUMStmtCacheRollback(t *testing.T) {
	db := umOpen(t)
	umExec(t, db, `INSERT INTO t (_ferretdb_sjson) VALUES (?)`, umDoc(1, 0))

	for round := 0; round < 3; round++ {
		tx, err := db.Begin()
		if err != nil {
			t.Fatal(err)
		}

		if _, err = tx.Exec(umUpdate, umDoc(1, 9), `"1"`); err != nil {
			t.Fatal(err)
		}

		// rows of a kept SELECT still open when the transaction rolls back
		rows, err := tx.Query(`SELECT _ferretdb_sjson FROM t WHERE _ferretdb_sjson->'_id' = ?`, `"1"`)
		if err != nil {
			t.Fatal(err)
		}

		rows.Next()

		if err = tx.Rollback(); err != nil {
			t.Fatal(err)
		}

		rows.Close()

		if s := umSelectByID(t, db, `"1"`); s != umDoc(1, 0) {
			t.Fatalf("round %d, after the rollback: %s", round, s)
		}
	}
}

// umSlowQuery counts to its argument.
const umSlowQuery = `SELECT count(*) FROM (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < ?) SELECT x FROM c)`

func TestUMStmtCacheInterruptEndsWithItsStatement(t *testing.T) {
	db := umOpen(t)
	umExec(t, db, `INSERT INTO t (_ferretdb_sjson) VALUES (?)`, umDoc(1, 0))

	for round := 1; round <= 5; round++ {
		ctx, cancel := context.WithTimeout(context.Background(), time.Duration(round)*time.Millisecond)

		var n int
		err := db.QueryRowContext(ctx, umSlowQuery, 100_000_000).Scan(&n)
		cancel()

		if err == nil {
			t.Fatalf("round %d: not interrupted (%d)", round, n)
		}

		// the connection's next statements, kept ones included, run to their end
		for i := 0; i < 10; i++ {
			if err = db.QueryRow(umSlowQuery, 1000).Scan(&n); err != nil || n != 1000 {
				t.Fatalf("round %d, after the interrupt: %d, %v", round, n, err)
			}

			if _, err = db.Exec(umUpdate, umDoc(1, i), `"1"`); err != nil {
				t.Fatalf("round %d, write after the interrupt: %v", round, err)
			}
		}
	}
}

func TestUMStmtCacheCancelWhileRowsOpen(t *testing.T) {
	db := umOpen(t)

	for i := 0; i < 100; i++ {
		umExec(t, db, `INSERT INTO t (_ferretdb_sjson) VALUES (?)`, umDoc(i, i))
	}

	q := `SELECT _ferretdb_sjson FROM t WHERE _ferretdb_sjson->>'v' >= ?`

	for round := 0; round < 20; round++ {
		ctx, cancel := context.WithCancel(context.Background())

		rows, err := db.QueryContext(ctx, q, 0)
		if err != nil {
			t.Fatal(err)
		}

		rows.Next()
		cancel() // database/sql closes the rows

		for rows.Next() {
		}

		rows.Close()

		// the statement, reset, reads again from the start with the new value bound
		n := 0

		if rows, err = db.Query(q, 50); err != nil {
			t.Fatal(err)
		}

		for rows.Next() {
			n++
		}

		if err = rows.Err(); err != nil || n != 50 {
			t.Fatalf("round %d: %d rows, %v", round, n, err)
		}

		rows.Close()
	}
}

func TestUMStmtCacheNullAfterValue(t *testing.T) {
	db := umOpen(t)
	insert := `INSERT INTO t (_ferretdb_sjson) VALUES (?)`
	umExec(t, db, insert, umDoc(1, 0))
	umExec(t, db, insert, nil) // no value left bound from the previous run

	var n int
	if err := db.QueryRow(`SELECT count(*) FROM t WHERE _ferretdb_sjson IS NULL`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d, %v", n, err)
	}
}
