package handler

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/FerretDB/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/FerretDB/FerretDB/internal/backends/sqlite"
	"github.com/FerretDB/FerretDB/internal/handler/handlererrors"
	"github.com/FerretDB/FerretDB/internal/types"
	"github.com/FerretDB/FerretDB/internal/util/iterator"
	"github.com/FerretDB/FerretDB/internal/util/must"
	"github.com/FerretDB/FerretDB/internal/util/state"
)

// Tests of UPDATE_STATEMENTS_TOGETHER (tools/services/ferretdb-source-fixes.mjs): update commands
// through the handler on the SQLite backend.

func newStatementsHandler(t *testing.T) *Handler {
	t.Helper()

	l := slog.New(slog.NewTextHandler(io.Discard, nil))

	sp, err := state.NewProvider("")
	require.NoError(t, err)

	b, err := sqlite.NewBackend(&sqlite.NewBackendParams{URI: "file:" + t.TempDir() + "/", L: l, P: sp, BatchSize: 100})
	require.NoError(t, err)

	h, err := New(&NewOpts{Backend: b, L: l, StateProvider: sp, BatchSize: 100})
	require.NoError(t, err)

	t.Cleanup(func() {
		h.Close()
		b.Close()
	})

	return h
}

func tDoc(pairs ...any) *types.Document {
	return must.NotFail(types.NewDocument(pairs...))
}

func tArr(values ...any) *types.Array {
	return must.NotFail(types.NewArray(values...))
}

// command sends a command document to one of the handler's Msg methods and returns its reply.
func sendCommand(h *Handler, msg func(context.Context, *wire.OpMsg) (*wire.OpMsg, error), cmd *types.Document) (*types.Document, error) {
	res, err := msg(context.Background(), must.NotFail(documentOpMsg(cmd)))
	if err != nil {
		return nil, err
	}

	return must.NotFail(opMsgDocument(res)), nil
}

func insertTestDocs(t *testing.T, h *Handler, docs ...any) {
	t.Helper()

	res, err := sendCommand(h, h.MsgInsert, tDoc("insert", "c", "documents", tArr(docs...), "$db", "test"))
	require.NoError(t, err)
	require.False(t, res.Has("writeErrors"), "%v", res)
}

// update sends an update command of these statements ({q, u, upsert?, multi?} documents).
func sendUpdate(h *Handler, ordered bool, statements ...any) (*types.Document, error) {
	return sendCommand(h, h.MsgUpdate, tDoc("update", "c", "updates", tArr(statements...), "ordered", ordered, "$db", "test"))
}

// stored returns the collection's documents by _id.
func storedDocs(t *testing.T, h *Handler) map[string]*types.Document {
	t.Helper()

	db := must.NotFail(h.b.Database("test"))
	c := must.NotFail(db.Collection("c"))
	res := must.NotFail(c.Query(context.Background(), nil))
	docs, err := iterator.ConsumeValues(res.Iter)
	require.NoError(t, err)

	byID := map[string]*types.Document{}
	for _, d := range docs {
		byID[must.NotFail(d.Get("_id")).(string)] = d
	}

	return byID
}

func docField(t *testing.T, d *types.Document, key string) any {
	t.Helper()
	require.NotNil(t, d)

	v, err := d.Get(key)
	require.NoError(t, err, "%s of %v", key, d)

	return v
}

// conditional is the API's Status upsert: by _id, unless the stored t is later.
func conditionalUpsert(id string, t int32) *types.Document {
	filter := tDoc("_id", id, "$or", tArr(tDoc("t", tDoc("$lte", t)), tDoc("t", types.Null)))
	return tDoc("q", filter, "u", tDoc("$set", tDoc("t", t)), "upsert", true)
}

// writeErrorIndexes returns the indexes and codes of the reply's writeErrors.
func writeErrorIndexes(res *types.Document) map[int32]int32 {
	indexes := map[int32]int32{}
	if !res.Has("writeErrors") {
		return indexes
	}

	errs := must.NotFail(res.Get("writeErrors")).(*types.Array)
	for i := 0; i < errs.Len(); i++ {
		we := must.NotFail(errs.Get(i)).(*types.Document)
		indexes[must.NotFail(we.Get("index")).(int32)] = must.NotFail(we.Get("code")).(int32)
	}

	return indexes
}

// upsertedIndexes returns the reply's upserted _ids by statement index.
func upsertedIndexes(res *types.Document) map[int32]any {
	indexes := map[int32]any{}
	if !res.Has("upserted") {
		return indexes
	}

	ups := must.NotFail(res.Get("upserted")).(*types.Array)
	for i := 0; i < ups.Len(); i++ {
		u := must.NotFail(ups.Get(i)).(*types.Document)
		indexes[must.NotFail(u.Get("index")).(int32)] = must.NotFail(u.Get("_id"))
	}

	return indexes
}

func TestUpdateStatementsSeeEarlierOnes(t *testing.T) {
	t.Parallel()

	h := newStatementsHandler(t)
	insertTestDocs(t, h, tDoc("_id", "a", "n", int32(0)), tDoc("_id", "b", "n", int32(0)))

	inc := func(id string) *types.Document {
		return tDoc("q", tDoc("_id", id), "u", tDoc("$inc", tDoc("n", int32(1))), "upsert", true)
	}

	res, err := sendUpdate(h, true,
		inc("a"), inc("a"), inc("a"), // the same document three times
		tDoc("q", tDoc("n", int32(3)), "u", tDoc("$set", tDoc("seen", true))), // by another field
		inc("x"), inc("x"), // an upsert, then an update of what it inserted
		tDoc("q", tDoc("_id", "b", "n", int32(0)), "u", tDoc("$set", tDoc("n", int32(5)))),
		tDoc("q", tDoc("_id", "b", "n", int32(0)), "u", tDoc("$set", tDoc("n", int32(6)))), // matches no longer
	)
	require.NoError(t, err)

	assert.Equal(t, int32(7), docField(t, res, "n"), "%v", res)
	assert.Equal(t, int32(6), docField(t, res, "nModified"), "%v", res)
	assert.Equal(t, map[int32]any{4: "x"}, upsertedIndexes(res))
	assert.Empty(t, writeErrorIndexes(res))

	docs := storedDocs(t, h)
	assert.Equal(t, int32(3), docField(t, docs["a"], "n"))
	assert.Equal(t, true, docField(t, docs["a"], "seen"))
	assert.Equal(t, int32(2), docField(t, docs["x"], "n"))
	assert.Equal(t, int32(5), docField(t, docs["b"], "n"))
}

func TestUpdateStatementsReadAheadIsNotStale(t *testing.T) {
	t.Parallel()

	h := newStatementsHandler(t)
	insertTestDocs(t, h, tDoc("_id", "a", "m", int32(0)), tDoc("_id", "b", "m", int32(0)), tDoc("_id", "c", "m", int32(0)))

	inc := func(filter *types.Document) *types.Document {
		return tDoc("q", filter, "u", tDoc("$inc", tDoc("m", int32(1))), "multi", true)
	}

	// a, b and c are read ahead; the second statement writes c, which the third reads again
	res, err := sendUpdate(h, true, inc(tDoc("_id", "a")), inc(tDoc("m", tDoc("$gte", int32(0)))), inc(tDoc("_id", "c")), inc(tDoc("_id", "b")))
	require.NoError(t, err)
	assert.Equal(t, int32(6), docField(t, res, "nModified"), "%v", res)
	assert.Equal(t, int32(1), readAheadIndexed.Load(), "SQLite reads ahead from the _id index")

	docs := storedDocs(t, h)
	assert.Equal(t, int32(2), docField(t, docs["a"], "m"))
	assert.Equal(t, int32(2), docField(t, docs["b"], "m"))
	assert.Equal(t, int32(2), docField(t, docs["c"], "m"))
}

func TestUpdateStatementsDuplicateKeyIsTheStatementsError(t *testing.T) {
	t.Parallel()

	for _, ordered := range []bool{false, true} {
		t.Run(fmt.Sprintf("ordered=%v", ordered), func(t *testing.T) {
			t.Parallel()

			h := newStatementsHandler(t)
			insertTestDocs(t, h, tDoc("_id", "a", "t", int32(5)), tDoc("_id", "b", "t", int32(5)), tDoc("_id", "c", "t", int32(5)))

			// b's stored t is later: its upsert matches nothing and its insert is a duplicate
			res, err := sendUpdate(h, ordered,
				conditionalUpsert("a", 6), conditionalUpsert("x", 1), conditionalUpsert("b", 1), conditionalUpsert("y", 1), conditionalUpsert("c", 7),
			)
			require.NoError(t, err)

			assert.Equal(t, map[int32]int32{2: 11000}, writeErrorIndexes(res), "%v", res)

			docs := storedDocs(t, h)
			assert.Equal(t, int32(6), docField(t, docs["a"], "t"))
			assert.Equal(t, int32(1), docField(t, docs["x"], "t"))
			assert.Equal(t, int32(5), docField(t, docs["b"], "t"))

			if ordered {
				assert.Equal(t, int32(2), docField(t, res, "n"), "%v", res)
				assert.Equal(t, int32(1), docField(t, res, "nModified"), "%v", res)
				assert.Equal(t, map[int32]any{1: "x"}, upsertedIndexes(res))
				assert.Nil(t, docs["y"])
				assert.Equal(t, int32(5), docField(t, docs["c"], "t"))

				return
			}

			assert.Equal(t, int32(4), docField(t, res, "n"), "%v", res)
			assert.Equal(t, int32(2), docField(t, res, "nModified"), "%v", res)
			assert.Equal(t, map[int32]any{1: "x", 3: "y"}, upsertedIndexes(res))
			assert.Equal(t, int32(1), docField(t, docs["y"], "t"))
			assert.Equal(t, int32(7), docField(t, docs["c"], "t"))
		})
	}
}

func TestUpdateStatementsStatementErrorKeepsTheOthers(t *testing.T) {
	t.Parallel()

	h := newStatementsHandler(t)
	insertTestDocs(t, h, tDoc("_id", "a", "n", int32(0)), tDoc("_id", "b", "n", "text"), tDoc("_id", "c", "n", int32(0)))

	inc := func(id string) *types.Document {
		return tDoc("q", tDoc("_id", id), "u", tDoc("$inc", tDoc("n", int32(1))))
	}

	res, err := sendUpdate(h, false, inc("a"), inc("b"), inc("c"))
	require.NoError(t, err)

	assert.Equal(t, []int32{1}, sortedKeys(writeErrorIndexes(res)), "%v", res)
	assert.Equal(t, int32(2), docField(t, res, "n"), "%v", res)
	assert.Equal(t, int32(2), docField(t, res, "nModified"), "%v", res)

	docs := storedDocs(t, h)
	assert.Equal(t, int32(1), docField(t, docs["a"], "n"))
	assert.Equal(t, "text", docField(t, docs["b"], "n"))
	assert.Equal(t, int32(1), docField(t, docs["c"], "n"))
}

func sortedKeys(m map[int32]int32) []int32 {
	var res []int32
	for k := range m {
		res = append(res, k)
	}

	return res
}

func TestUpdateStatementsFailedWriteIsNoSuccess(t *testing.T) {
	t.Parallel()

	h := newStatementsHandler(t)
	insertTestDocs(t, h, tDoc("_id", "a", "u", int32(1)), tDoc("_id", "b", "u", int32(2)))

	_, err := sendCommand(h, h.MsgCreateIndexes, tDoc(
		"createIndexes", "c", "indexes", tArr(tDoc("key", tDoc("u", int32(1)), "name", "u_1", "unique", true)), "$db", "test",
	))
	require.NoError(t, err)

	// the second statement's write violates the unique index: the command reports no success
	res, err := sendUpdate(h, false,
		tDoc("q", tDoc("_id", "a"), "u", tDoc("$set", tDoc("v", int32(1)))),
		tDoc("q", tDoc("_id", "b"), "u", tDoc("$set", tDoc("u", int32(1)))),
	)
	require.Error(t, err, "%v", res)
	assert.Nil(t, res)

	docs := storedDocs(t, h)
	assert.Equal(t, int32(1), docField(t, docs["a"], "v"), "the statement before is written, as before the change")
	assert.Equal(t, int32(2), docField(t, docs["b"], "u"))
}

func TestUpdateStatementsConcurrentCommandsLoseNothing(t *testing.T) {
	t.Parallel()

	h := newStatementsHandler(t)

	const docs, rounds = 40, 10

	ids := make([]any, docs)
	for i := range ids {
		ids[i] = tDoc("_id", fmt.Sprintf("d%02d", i))
	}

	insertTestDocs(t, h, ids...)

	var wg sync.WaitGroup
	errs := make(chan error, 2*rounds)

	for _, f := range []string{"f", "g"} {
		wg.Add(1)

		go func() {
			defer wg.Done()

			for range rounds {
				statements := make([]any, docs)
				for i := range statements {
					statements[i] = tDoc("q", tDoc("_id", fmt.Sprintf("d%02d", i)), "u", tDoc("$inc", tDoc(f, int32(1))))
				}

				if res, err := sendUpdate(h, false, statements...); err != nil || res.Has("writeErrors") {
					errs <- errors.Join(err, fmt.Errorf("%v", res))
				}
			}
		}()
	}

	wg.Wait()
	close(errs)

	for err := range errs {
		require.NoError(t, err)
	}

	for id, d := range storedDocs(t, h) {
		assert.Equal(t, int32(rounds), docField(t, d, "f"), id)
		assert.Equal(t, int32(rounds), docField(t, d, "g"), id)
	}
}

// The update and insert commands answer a database or collection name that the backend refuses as FerretDB's handlers
// do (namespaceError), naming their own command in FerretDB's metrics.
func TestUpdateStatementsInvalidNamespace(t *testing.T) {
	t.Parallel()

	h := newStatementsHandler(t)

	for _, tc := range []struct {
		db, collection, msg string
	}{
		{"_ferretdb_x", "c", "Invalid namespace specified '_ferretdb_x.c'"},
		{"test", "_ferretdb_c", "Invalid collection name: _ferretdb_c"},
	} {
		for command, msg := range map[string]func(context.Context, *wire.OpMsg) (*wire.OpMsg, error){
			"insert": h.MsgInsert,
			"update": h.MsgUpdate,
		} {
			cmd := tDoc("insert", tc.collection, "documents", tArr(tDoc("_id", "a")), "$db", tc.db)
			if command == "update" {
				cmd = tDoc("update", tc.collection, "updates", tArr(tDoc("q", tDoc("_id", "a"), "u", tDoc("$set", tDoc("v", int32(1))))), "$db", tc.db)
			}

			_, err := sendCommand(h, msg, cmd)

			var ce *handlererrors.CommandError
			require.ErrorAs(t, err, &ce, "%s %s.%s", command, tc.db, tc.collection)
			assert.Equal(t, handlererrors.ErrInvalidNamespace, ce.Code())
			assert.Equal(t, tc.msg, ce.Err().Error())
			assert.Equal(t, command, ce.Info().Argument)
		}
	}
}
