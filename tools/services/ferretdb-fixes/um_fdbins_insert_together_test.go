package handler

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/FerretDB/FerretDB/internal/backends"
	"github.com/FerretDB/FerretDB/internal/handler/common"
	"github.com/FerretDB/FerretDB/internal/types"
	"github.com/FerretDB/FerretDB/internal/util/must"
)

// Tests of INSERT_TOGETHER (tools/services/ferretdb-source-fixes.mjs): insert commands through the
// handler on the SQLite backend (newStatementsHandler and the helpers of um_stmtx_update_statements_test.go).

// countingCollection counts the InsertAll calls and the documents they are given.
type countingCollection struct {
	backends.Collection
	calls int
	docs  int
}

func (c *countingCollection) InsertAll(ctx context.Context, params *backends.InsertAllParams) (*backends.InsertAllResult, error) {
	c.calls++
	c.docs += len(params.Docs)

	return c.Collection.InsertAll(ctx, params)
}

// insertDocs are the documents {_id: "d<i>", i} for i in [0, n), with the documents of replace in their places.
func insertDocs(n int, replace map[int]*types.Document) *types.Array {
	docs := types.MakeArray(n)
	for i := 0; i < n; i++ {
		if d, ok := replace[i]; ok {
			docs.Append(d)
			continue
		}

		docs.Append(tDoc("_id", fmt.Sprintf("d%d", i), "i", int32(i)))
	}

	return docs
}

func sendInsert(t *testing.T, h *Handler, ordered bool, docs *types.Array) *types.Document {
	t.Helper()

	res, err := sendCommand(h, h.MsgInsert, tDoc("insert", "c", "documents", docs, "ordered", ordered, "$db", "test"))
	require.NoError(t, err)

	return res
}

func TestInsertTogetherIsOneInsertAll(t *testing.T) {
	t.Parallel()

	h := newStatementsHandler(t)
	c := &countingCollection{Collection: must.NotFail(must.NotFail(h.b.Database("test")).Collection("c"))}

	params := &common.InsertParams{Docs: insertDocs(1000, nil), DB: "test", Collection: "c", Ordered: true}
	inserted, writeErrors, err := insertDocuments(context.Background(), c, params, h.BatchSize)
	require.NoError(t, err)

	assert.Equal(t, int32(1000), inserted)
	assert.Empty(t, writeErrors)
	assert.Equal(t, 1, c.calls)
	assert.Len(t, storedDocs(t, h), 1000)
}

func TestInsertTogetherUnorderedReportsEveryError(t *testing.T) {
	t.Parallel()

	h := newStatementsHandler(t)
	insertTestDocs(t, h, tDoc("_id", "d5", "i", int32(-1)), tDoc("_id", "d250", "i", int32(-1)))

	docs := insertDocs(300, map[int]*types.Document{
		100: tDoc("_id", tArr(int32(1)), "i", int32(100)), // an array _id: invalid
		120: tDoc("_id", "d7", "i", int32(120)),           // d7 again, later in the same command
	})
	res := sendInsert(t, h, false, docs)

	assert.Equal(t, int32(296), must.NotFail(res.Get("n")), "%v", res)
	errs := writeErrorIndexes(res)
	assert.ElementsMatch(t, []int32{5, 100, 120, 250}, sortedKeys(errs), "%v", res)
	assert.Equal(t, int32(11000), errs[5])
	assert.Equal(t, int32(11000), errs[120])
	assert.Equal(t, int32(11000), errs[250])
	assert.NotEqual(t, int32(11000), errs[100])

	var order []int32
	for errs, i := must.NotFail(res.Get("writeErrors")).(*types.Array), 0; i < errs.Len(); i++ {
		order = append(order, must.NotFail(must.NotFail(errs.Get(i)).(*types.Document).Get("index")).(int32))
	}

	assert.Equal(t, []int32{5, 100, 120, 250}, order, "writeErrors in index order")

	stored := storedDocs(t, h)
	assert.Len(t, stored, 298) // 296 and the two inserted before
	assert.Equal(t, int32(-1), docField(t, stored["d5"], "i"))
	assert.Equal(t, int32(7), docField(t, stored["d7"], "i"))
	assert.Equal(t, int32(299), docField(t, stored["d299"], "i"))
}

func TestInsertTogetherOrderedStopsAtTheFirstDuplicate(t *testing.T) {
	t.Parallel()

	h := newStatementsHandler(t)
	insertTestDocs(t, h, tDoc("_id", "d150", "i", int32(-1)))

	res := sendInsert(t, h, true, insertDocs(300, nil))

	assert.Equal(t, int32(150), must.NotFail(res.Get("n")), "%v", res)
	assert.Equal(t, map[int32]int32{150: 11000}, writeErrorIndexes(res), "%v", res)

	stored := storedDocs(t, h)
	assert.Len(t, stored, 151)
	assert.Contains(t, stored, "d149")
	assert.NotContains(t, stored, "d151")
	assert.NotContains(t, stored, "d299")
}

func TestInsertTogetherOrderedReportsOnlyTheFirstError(t *testing.T) {
	t.Parallel()

	h := newStatementsHandler(t)
	insertTestDocs(t, h, tDoc("_id", "d150", "i", int32(-1)))

	// the invalid document after the duplicate is not reported: the command stopped before it
	docs := insertDocs(300, map[int]*types.Document{200: tDoc("_id", tArr(int32(1)))})
	res := sendInsert(t, h, true, docs)

	assert.Equal(t, int32(150), must.NotFail(res.Get("n")), "%v", res)
	assert.Equal(t, map[int32]int32{150: 11000}, writeErrorIndexes(res), "%v", res)
	assert.Len(t, storedDocs(t, h), 151)
}

func TestInsertTogetherOrderedStopsAtAnInvalidDocument(t *testing.T) {
	t.Parallel()

	h := newStatementsHandler(t)

	docs := insertDocs(300, map[int]*types.Document{200: tDoc("_id", tArr(int32(1)))})
	res := sendInsert(t, h, true, docs)

	assert.Equal(t, int32(200), must.NotFail(res.Get("n")), "%v", res)
	errs := writeErrorIndexes(res)
	assert.ElementsMatch(t, []int32{200}, sortedKeys(errs), "%v", res)
	assert.NotEqual(t, int32(11000), errs[200])

	stored := storedDocs(t, h)
	assert.Len(t, stored, 200)
	assert.NotContains(t, stored, "d201")
}

func TestInsertTogetherGivesAnObjectID(t *testing.T) {
	t.Parallel()

	h := newStatementsHandler(t)
	c := must.NotFail(must.NotFail(h.b.Database("test")).Collection("c"))

	docs := must.NotFail(types.NewArray(tDoc("i", int32(1)), tDoc("i", int32(2))))
	res := sendInsert(t, h, true, docs)
	assert.Equal(t, int32(2), must.NotFail(res.Get("n")), "%v", res)

	q := must.NotFail(c.Query(context.Background(), nil))
	defer q.Iter.Close()

	for range 2 {
		_, d, err := q.Iter.Next()
		require.NoError(t, err)
		assert.IsType(t, types.ObjectID{}, must.NotFail(d.Get("_id")))
	}
}

// unstorable is a document that passes validation but that the SQLite backend cannot write (sjson
// refuses an infinity inside an array; MongoDB stores it): its failure is the document's, not the command's.
func unstorable(id string) *types.Document {
	return tDoc("_id", id, "a", tArr(math.Inf(1)))
}

func TestInsertTogetherUnorderedUnstorableDocumentIsItsWriteError(t *testing.T) {
	t.Parallel()

	h := newStatementsHandler(t)

	res := sendInsert(t, h, false, insertDocs(300, map[int]*types.Document{150: unstorable("bad")}))

	assert.Equal(t, int32(299), must.NotFail(res.Get("n")), "%v", res)
	errs := writeErrorIndexes(res)
	assert.ElementsMatch(t, []int32{150}, sortedKeys(errs), "%v", res)
	assert.Equal(t, int32(2), errs[150]) // BadValue, as FerretDB's refusal of an infinity outside arrays

	stored := storedDocs(t, h)
	assert.Len(t, stored, 299)
	assert.Contains(t, stored, "d149")
	assert.Contains(t, stored, "d151")
	assert.NotContains(t, stored, "bad")
}

func TestInsertTogetherOrderedStopsAtAnUnstorableDocument(t *testing.T) {
	t.Parallel()

	h := newStatementsHandler(t)

	// the reply says what was written: the 150 documents before it (and only them)
	res := sendInsert(t, h, true, insertDocs(300, map[int]*types.Document{150: unstorable("bad")}))

	assert.Equal(t, int32(150), must.NotFail(res.Get("n")), "%v", res)
	errs := writeErrorIndexes(res)
	assert.ElementsMatch(t, []int32{150}, sortedKeys(errs), "%v", res)
	assert.Equal(t, int32(2), errs[150]) // BadValue, as FerretDB's refusal of an infinity outside arrays

	stored := storedDocs(t, h)
	assert.Len(t, stored, 150)
	assert.Contains(t, stored, "d149")
	assert.NotContains(t, stored, "d151")
}

// failingCollection fails every InsertAll given the document with _id failID, as the database might.
type failingCollection struct {
	backends.Collection
	failID string
}

func (c *failingCollection) InsertAll(ctx context.Context, params *backends.InsertAllParams) (*backends.InsertAllResult, error) {
	for _, d := range params.Docs {
		if must.NotFail(d.Get("_id")) == c.failID {
			return nil, errors.New("disk I/O error")
		}
	}

	return c.Collection.InsertAll(ctx, params)
}

func TestInsertTogetherDatabaseFailureIsTheCommands(t *testing.T) {
	t.Parallel()

	// the document could be stored: the failure is the database's, and a client retries a failed command
	// (the API retries an insert that throws, and gives up on a document with a write error)
	for _, ordered := range []bool{true, false} {
		h := newStatementsHandler(t)
		c := &failingCollection{Collection: must.NotFail(must.NotFail(h.b.Database("test")).Collection("c")), failID: "d150"}

		params := &common.InsertParams{Docs: insertDocs(300, nil), DB: "test", Collection: "c", Ordered: ordered}
		_, _, err := insertDocuments(context.Background(), c, params, h.BatchSize)
		require.Error(t, err, "ordered %v", ordered)
	}
}
