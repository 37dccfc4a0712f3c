package sqlite

// Prepared statements kept by each connection for the writes it runs again and again (added to the
// SQLite driver by the Upgrade Manager build: see tools/services/ferretdb-source-fixes.mjs). The
// driver compiles every statement it runs and throws it away afterwards: FerretDB writes a document
// with `UPDATE "<table>" SET _ferretdb_sjson = ? WHERE _ferretdb_sjson->'_id' = ?`, and compiling
// that (its table has an index on a JSON expression) was 8 % of FerretDB's CPU in 1,000-gateway
// rollouts, and compiling its SELECTs 4 %. A connection now keeps its last stmtCacheSize SELECT,
// INSERT, UPDATE and DELETE statements by their text, and runs a kept one again after sqlite3_reset.
// SQLite compiles a kept statement again by itself when the schema changed (sqlite3_prepare_v2); a
// statement that fails is thrown away. A SELECT's statement is in use until its rows are closed:
// the same query meanwhile (another rows of the connection) is compiled for one use, as before.

import (
	"context"
	"database/sql/driver"
	"strings"
	"sync/atomic"
	"unsafe"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// stmtCacheSize bounds the statements each connection keeps (a compiled write is a few KiB).
const stmtCacheSize = 16

// stmtCacheMaxQuery bounds the text of a kept statement: long ones (lists of ids) rarely repeat.
const stmtCacheMaxQuery = 2048

// cachedStmt is a kept statement (0 once finalized), when it was last used (by stmtCache.uses),
// and whether rows read from it now.
type cachedStmt struct {
	pstmt   uintptr
	lastUse uint64
	inUse   bool
}

// stmtCache holds a connection's kept statements by their text. Only the connection's user touches
// it (database/sql uses a connection from one goroutine at a time), and Close, under the lock.
type stmtCache struct {
	stmts map[string]*cachedStmt
	uses  uint64
}

// cacheableExec reports whether query may be kept: one INSERT, UPDATE or DELETE of moderate length.
// Anything else (schema changes, pragmas, several statements) runs as before.
func cacheableExec(query string) bool {
	if len(query) > stmtCacheMaxQuery || strings.IndexByte(query, ';') >= 0 {
		return false
	}

	q := strings.TrimLeft(query, " \t\r\n")
	for _, verb := range []string{"INSERT ", "UPDATE ", "DELETE "} {
		if len(q) >= len(verb) && strings.EqualFold(q[:len(verb)], verb) {
			return true
		}
	}

	return false
}

// cacheableQuery reports whether query may be kept: one SELECT of moderate length.
func cacheableQuery(query string) bool {
	if len(query) > stmtCacheMaxQuery || strings.IndexByte(query, ';') >= 0 {
		return false
	}

	q := strings.TrimLeft(query, " \t\r\n")

	return len(q) >= 7 && strings.EqualFold(q[:7], "SELECT ")
}

// get returns the kept statement of query, or nil.
func (sc *stmtCache) get(query string) *cachedStmt {
	e := sc.stmts[query]
	if e != nil {
		sc.uses++
		e.lastUse = sc.uses
	}

	return e
}

// room makes room for one more statement, finalizing the least recently used one not in use when
// full; false when every kept statement is in use.
func (sc *stmtCache) room(c *conn) bool {
	if len(sc.stmts) < stmtCacheSize {
		return true
	}

	var oldest string
	var oldestUse uint64

	for q, e := range sc.stmts {
		if !e.inUse && (oldest == "" || e.lastUse < oldestUse) {
			oldest, oldestUse = q, e.lastUse
		}
	}

	if oldest == "" {
		return false
	}

	sc.drop(c, oldest)

	return true
}

// add keeps pstmt as the statement of query (after room).
func (sc *stmtCache) add(query string, pstmt uintptr) *cachedStmt {
	if sc.stmts == nil {
		sc.stmts = make(map[string]*cachedStmt, stmtCacheSize)
	}

	sc.uses++
	e := &cachedStmt{pstmt: pstmt, lastUse: sc.uses}
	sc.stmts[query] = e

	return e
}

// drop finalizes and forgets the statement of query, if kept (rows still reading it, only left when
// the connection closes, see it finalized).
func (sc *stmtCache) drop(c *conn, query string) {
	if e := sc.stmts[query]; e != nil {
		sqlite3.Xsqlite3_finalize(c.tls, e.pstmt)
		e.pstmt = 0
		delete(sc.stmts, query)
	}
}

// finalizeAll finalizes every kept statement (before the connection closes).
func (sc *stmtCache) finalizeAll(c *conn) {
	for q := range sc.stmts {
		sc.drop(c, q)
	}
}

// prepareOne compiles query; ok is false (and nothing kept) when query is not exactly one statement.
func (c *conn) prepareOne(query string) (pstmt uintptr, ok bool, err error) {
	psql, err := libc.CString(query)
	if err != nil {
		return 0, false, err
	}

	defer c.free(psql)

	tail := psql
	if pstmt, err = c.prepareV2(&tail); err != nil {
		return 0, false, err
	}

	if pstmt == 0 {
		return 0, false, nil
	}

	if *(*byte)(unsafe.Pointer(tail)) != 0 {
		sqlite3.Xsqlite3_finalize(c.tls, pstmt)
		return 0, false, nil
	}

	return pstmt, true, nil
}

// execCached runs query as conn.exec does, with the connection's kept statement of that text
// (compiled and kept on first use). handled is false when query is not kept: the caller runs it.
func (c *conn) execCached(ctx context.Context, query string, args []driver.NamedValue) (r driver.Result, handled bool, err error) {
	if !cacheableExec(query) {
		return nil, false, nil
	}

	var done int32

	if ctx != nil {
		if ctxDone := ctx.Done(); ctxDone != nil {
			select {
			case <-ctxDone:
				return nil, true, ctx.Err()
			default:
			}

			defer interruptOnDone(ctx, c, &done)()
		}
	}

	e, handled, err := c.keptStmt(query)
	if !handled || err != nil {
		return nil, handled, err
	}

	r, err = c.runKept(e.pstmt, args)
	if err != nil {
		c.stmtCache.drop(c, query)
	}

	if ctx != nil && atomic.LoadInt32(&done) != 0 {
		r, err = nil, ctx.Err()
	}

	return r, true, err
}

// keptStmt returns the kept statement of query, compiling and keeping it first if needed; handled is
// false when it cannot be kept (not one statement, in use, or every kept one in use).
func (c *conn) keptStmt(query string) (e *cachedStmt, handled bool, err error) {
	if e = c.stmtCache.get(query); e != nil {
		return e, !e.inUse, nil
	}

	if !c.stmtCache.room(c) {
		return nil, false, nil
	}

	pstmt, ok, err := c.prepareOne(query)
	if err != nil || !ok {
		return nil, err != nil, err
	}

	return c.stmtCache.add(query, pstmt), true, nil
}

// runKept binds args, steps pstmt once (as stmt.exec does) and resets it for its next use.
func (c *conn) runKept(pstmt uintptr, args []driver.NamedValue) (r driver.Result, err error) {
	n, err := c.bindParameterCount(pstmt)
	if err != nil {
		return nil, err
	}

	var allocs []uintptr

	if n != 0 {
		if allocs, err = c.bind(pstmt, n, args); err != nil {
			return nil, err
		}
	}

	rc, err := c.step(pstmt)
	if err == nil {
		switch rc & 0xff {
		case sqlite3.SQLITE_DONE, sqlite3.SQLITE_ROW:
			r, err = newResult(c)
		default:
			err = c.errstr(int32(rc))
		}
	}

	// the bound values are freed only once the statement no longer refers to them
	sqlite3.Xsqlite3_reset(c.tls, pstmt)
	sqlite3.Xsqlite3_clear_bindings(c.tls, pstmt)

	for _, p := range allocs {
		c.free(p)
	}

	if err != nil {
		return nil, err
	}

	return r, nil
}

// queryCached runs query as conn.query does, with the connection's kept statement of that text
// (compiled and kept on first use); its rows reset the statement when closed. handled is false when
// query is not kept or its statement is in use: the caller runs it.
func (c *conn) queryCached(ctx context.Context, query string, args []driver.NamedValue) (r driver.Rows, handled bool, err error) {
	if !cacheableQuery(query) {
		return nil, false, nil
	}

	if e := c.stmtCache.stmts[query]; e != nil && e.inUse {
		return nil, false, nil
	}

	var done int32

	if ctx != nil {
		if ctxDone := ctx.Done(); ctxDone != nil {
			select {
			case <-ctxDone:
				return nil, true, ctx.Err()
			default:
			}

			defer interruptOnDone(ctx, c, &done)()
		}
	}

	e, handled, err := c.keptStmt(query)
	if !handled || err != nil {
		return nil, handled, err
	}

	kr, err := c.startKept(e, args)
	if err != nil {
		c.stmtCache.drop(c, query)
		return nil, true, err
	}

	if ctx != nil && atomic.LoadInt32(&done) != 0 {
		kr.Close()
		return nil, true, ctx.Err()
	}

	return kr, true, nil
}

// startKept binds args and steps e's statement once, as stmt.query does: the rows then hold it.
func (c *conn) startKept(e *cachedStmt, args []driver.NamedValue) (*rows, error) {
	n, err := c.bindParameterCount(e.pstmt)
	if err != nil {
		return nil, err
	}

	var allocs []uintptr

	if n != 0 {
		if allocs, err = c.bind(e.pstmt, n, args); err != nil {
			return nil, err
		}
	}

	e.inUse = true
	r := &rows{c: c, pstmt: e.pstmt, allocs: allocs, kept: e}

	rc, err := c.step(e.pstmt)
	if err != nil {
		r.Close()
		return nil, err
	}

	r.empty = rc&0xff == sqlite3.SQLITE_DONE

	ncol, err := c.columnCount(e.pstmt)
	if err != nil {
		r.Close()
		return nil, err
	}

	r.columns = make([]string, ncol)
	for i := range r.columns {
		if r.columns[i], err = c.columnName(e.pstmt, i); err != nil {
			r.Close()
			return nil, err
		}
	}

	return r, nil
}

// closeKept ends rows read from a kept statement: resets it for its next use and frees the bound
// values.
func (r *rows) closeKept() error {
	if r.kept.pstmt != 0 {
		sqlite3.Xsqlite3_reset(r.c.tls, r.kept.pstmt)
		sqlite3.Xsqlite3_clear_bindings(r.c.tls, r.kept.pstmt)
	}

	for _, v := range r.allocs {
		r.c.free(v)
	}

	r.allocs = nil
	r.kept.inUse = false
	r.kept = nil
	r.pstmt = 0

	return nil
}
