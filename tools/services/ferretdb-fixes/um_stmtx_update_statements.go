package handler

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/FerretDB/wire/wirebson"
	"go.mongodb.org/mongo-driver/mongo"

	"github.com/FerretDB/FerretDB/internal/backends"
	"github.com/FerretDB/FerretDB/internal/handler/common"
	"github.com/FerretDB/FerretDB/internal/handler/handlererrors"
	"github.com/FerretDB/FerretDB/internal/types"
	"github.com/FerretDB/FerretDB/internal/util/iterator"
	"github.com/FerretDB/FerretDB/internal/util/lazyerrors"
	"github.com/FerretDB/FerretDB/internal/util/must"
)

// The statements of an update command run in order, and what they change is written together: each
// run of consecutive updated (or inserted) documents in one UpdateAll (or InsertAll), that is one
// transaction, when the command ends or when a statement could read a document still waiting.
// The documents of the statements that require an _id are read first, in one query.
// Added by the Upgrade Manager build: see tools/services/ferretdb-source-fixes.mjs.

// maxReadAhead bounds the _ids a command reads in one query before its statements run.
const maxReadAhead = 1000

// readAheadIndexed is 1 when the backend looks `_id: {$in: [...]}` up in the _id index (SQLite with
// ID_IN_LIST_FIX), 2 when it scans the table for it (PostgreSQL): then nothing is read ahead.
// Asked (Explain) by the first command that would read ahead.
var readAheadIndexed atomic.Int32

// statementOutcome is what one statement of an update command did, once its writes are written.
type statementOutcome struct {
	upsertedID any // nil unless the statement inserted a document
	err        *mongo.WriteError
	matched    int32
	modified   int32
}

// pendingWrite is a document a statement updated or inserted, not written yet.
type pendingWrite struct {
	doc       *types.Document
	statement int
	insert    bool
}

// commandWrites holds the writes of an update command's statements until they are written.
type commandWrites struct {
	c       backends.Collection
	pending []pendingWrite
	// keys (idKey) of the pending documents' _ids; unkeyed: one of them has an _id of another type
	ids     map[string]struct{}
	unkeyed bool
	// documents read ahead for the statements, by idKey (nil: none with that _id); each is given to
	// one statement, unless a write of that _id made it stale before
	readAhead map[string]*types.Document
}

// idKey is a map key equal for equal string or ObjectID _ids, and ok false for other types.
func idKey(id any) (key string, ok bool) {
	switch id := id.(type) {
	case string:
		return "s" + id, true
	case types.ObjectID:
		return "o" + string(id[:]), true
	default:
		return "", false
	}
}

// statementID returns the _id a filter requires by equality (a string or an ObjectID), else nil.
func statementID(filter *types.Document) any {
	if filter == nil {
		return nil
	}

	n := 0

	for _, key := range filter.Keys() {
		if key == "_id" {
			n++
		}
	}

	if n != 1 {
		return nil
	}

	id, _ := filter.Get("_id")
	if _, ok := idKey(id); !ok {
		return nil
	}

	return id
}

func (w *commandWrites) add(statement int, insert bool, docs []*types.Document) {
	for _, doc := range docs {
		w.pending = append(w.pending, pendingWrite{doc: doc, statement: statement, insert: insert})

		id, _ := doc.Get("_id")
		if key, ok := idKey(id); ok {
			w.ids[key] = struct{}{}
			delete(w.readAhead, key)
		} else {
			w.unkeyed = true
		}
	}
}

// mayRead is true when a statement with this filter could match a pending document: only a filter
// that requires an _id which no pending document has cannot.
func (w *commandWrites) mayRead(filter *types.Document) bool {
	if len(w.pending) == 0 {
		return false
	}

	key, ok := idKey(statementID(filter))
	if !ok || w.unkeyed {
		return true
	}

	_, pending := w.ids[key]

	return pending
}

// flush writes the pending documents in statement order, each run of updates (or of inserts) in one
// call. A run that fails is written again one document at a time, to find the statement that fails: an
// insert's duplicate key is that statement's error (recorded in outcomes), anything else the command's
// (returned). It returns the statement an ordered command stops at, or -1.
func (w *commandWrites) flush(ctx context.Context, params *common.UpdateParams, outcomes []statementOutcome) (int, error) {
	pending := w.pending
	w.pending = nil
	clear(w.ids)
	w.unkeyed = false

	for start := 0; start < len(pending); {
		end := start + 1
		for end < len(pending) && pending[end].insert == pending[start].insert {
			end++
		}

		run := pending[start:end]
		start = end

		docs := make([]*types.Document, len(run))
		for i, p := range run {
			docs[i] = p.doc
		}

		if err := w.write(ctx, run[0].insert, docs); err == nil {
			continue
		}

		for _, p := range run {
			err := w.write(ctx, p.insert, []*types.Document{p.doc})
			if err == nil {
				continue
			}

			if !p.insert || !backends.ErrorCodeIs(err, backends.ErrorCodeInsertDuplicateID) {
				return -1, lazyerrors.Error(err)
			}

			outcomes[p.statement] = statementOutcome{err: &mongo.WriteError{
				Index:   p.statement,
				Code:    int(handlererrors.ErrDuplicateKeyInsert),
				Message: fmt.Sprintf(`E11000 duplicate key error collection: %s.%s`, params.DB, params.Collection),
			}}

			if params.Ordered {
				return p.statement, nil
			}
		}
	}

	return -1, nil
}

// readAheadFor reads in one query the documents of the statements that require an _id, when two or
// more do.
func (w *commandWrites) readAheadFor(ctx context.Context, updates []common.Update) error {
	ids := types.MakeArray(0)

	for i := range updates {
		id := statementID(updates[i].Filter)
		if key, ok := idKey(id); ok && ids.Len() < maxReadAhead {
			if _, dup := w.readAhead[key]; !dup {
				w.readAhead[key] = nil
				ids.Append(id)
			}
		}
	}

	if ids.Len() < 2 {
		clear(w.readAhead)
		return nil
	}

	filter := must.NotFail(types.NewDocument("_id", must.NotFail(types.NewDocument("$in", ids))))

	if readAheadIndexed.Load() == 0 {
		explain, err := w.c.Explain(ctx, &backends.ExplainParams{Filter: filter})
		if err != nil {
			return lazyerrors.Error(err)
		}

		if explain.FilterPushdown {
			readAheadIndexed.Store(1)
		} else {
			readAheadIndexed.Store(2)
		}
	}

	if readAheadIndexed.Load() != 1 {
		clear(w.readAhead)
		return nil
	}

	res, err := w.c.Query(ctx, &backends.QueryParams{Filter: filter})
	if err != nil {
		return lazyerrors.Error(err)
	}

	docs, err := iterator.ConsumeValues(res.Iter)
	res.Iter.Close()

	if err != nil {
		return lazyerrors.Error(err)
	}

	for _, doc := range docs {
		id, _ := doc.Get("_id")
		if key, ok := idKey(id); ok {
			if _, wanted := w.readAhead[key]; wanted {
				w.readAhead[key] = doc
			}
		}
	}

	return nil
}

// readAheadDocs returns what a statement with this filter matches among the documents read ahead,
// and ok false when its document was not read ahead (or is stale).
func (w *commandWrites) readAheadDocs(filter *types.Document) (docs []*types.Document, ok bool, err error) {
	key, keyed := idKey(statementID(filter))
	if !keyed {
		return nil, false, nil
	}

	doc, read := w.readAhead[key]
	if !read {
		return nil, false, nil
	}

	delete(w.readAhead, key)

	if doc == nil {
		return nil, true, nil
	}

	matches, err := common.FilterDocument(doc, filter)
	if err != nil || !matches {
		return nil, true, err
	}

	return []*types.Document{doc}, true, nil
}

func (w *commandWrites) write(ctx context.Context, insert bool, docs []*types.Document) error {
	var err error
	if insert {
		_, err = w.c.InsertAll(ctx, &backends.InsertAllParams{Docs: docs})
	} else {
		_, err = w.c.UpdateAll(ctx, &backends.UpdateAllParams{Docs: docs})
	}

	return err
}

// statementCollection is the collection as one statement sees it: its writes wait in commandWrites.
type statementCollection struct {
	backends.Collection
	writes    *commandWrites
	statement int
}

// InsertAll implements backends.Collection interface.
func (s *statementCollection) InsertAll(_ context.Context, params *backends.InsertAllParams) (*backends.InsertAllResult, error) {
	s.writes.add(s.statement, true, params.Docs)
	return new(backends.InsertAllResult), nil
}

// UpdateAll implements backends.Collection interface.
func (s *statementCollection) UpdateAll(_ context.Context, params *backends.UpdateAllParams) (*backends.UpdateAllResult, error) {
	s.writes.add(s.statement, false, params.Docs)
	return &backends.UpdateAllResult{Updated: int32(len(params.Docs))}, nil
}

// updateStatements runs the statements of an update command (under the collection's write lock) and
// returns the command's reply. A statement's write error is its own: an ordered command stops there,
// an unordered one goes on. Any other error fails the command, after what was done before is written.
func (h *Handler) updateStatements(ctx context.Context, params *common.UpdateParams) (*types.Document, error) {
	c, err := h.updateCollection(ctx, params)
	if err != nil {
		return nil, err
	}

	writes := &commandWrites{c: c, ids: map[string]struct{}{}, readAhead: map[string]*types.Document{}}
	outcomes := make([]statementOutcome, 0, len(params.Updates))
	stop := -1

	if !h.DisablePushdown {
		if err = writes.readAheadFor(ctx, params.Updates); err != nil {
			return nil, err
		}
	}

	for i := range params.Updates {
		u := &params.Updates[i]

		if writes.mayRead(u.Filter) {
			if stop, err = writes.flush(ctx, params, outcomes); err != nil || stop >= 0 {
				break
			}
		}

		var outcome statementOutcome

		if outcome, err = h.updateStatement(ctx, &statementCollection{Collection: c, writes: writes, statement: i}, u); err != nil {
			var we *handlererrors.WriteErrors
			if err = handleUpdateError(params.DB, params.Collection, "update", err); !errors.As(err, &we) {
				break
			}

			outcome = statementOutcome{err: statementWriteError(we, i)}
			err = nil
		}

		outcomes = append(outcomes, outcome)

		if outcome.err != nil && params.Ordered {
			break
		}
	}

	if stop < 0 {
		var flushErr error
		if stop, flushErr = writes.flush(ctx, params, outcomes); err == nil {
			err = flushErr
		}
	}

	if err != nil {
		return nil, err
	}

	if stop >= 0 {
		outcomes = outcomes[:stop+1]
	}

	return updateReply(outcomes), nil
}

// updateCollection returns the command's collection, created when it does not exist.
func (h *Handler) updateCollection(ctx context.Context, params *common.UpdateParams) (backends.Collection, error) {
	db, err := h.b.Database(params.DB)
	if err != nil {
		return nil, namespaceError(err, "update", params.DB, params.Collection)
	}

	err = db.CreateCollection(ctx, &backends.CreateCollectionParams{Name: params.Collection})
	if err != nil && !backends.ErrorCodeIs(err, backends.ErrorCodeCollectionAlreadyExists) {
		return nil, namespaceError(err, "update", params.DB, params.Collection)
	}

	c, err := db.Collection(params.Collection)
	if err != nil {
		return nil, namespaceError(err, "update", params.DB, params.Collection)
	}

	return c, nil
}

// updateStatement reads what one statement matches and applies its update; its writes go to c.
func (h *Handler) updateStatement(ctx context.Context, c *statementCollection, u *common.Update) (statementOutcome, error) {
	docs, read, err := c.writes.readAheadDocs(u.Filter)
	if err != nil {
		return statementOutcome{}, lazyerrors.Error(err)
	}

	if !read {
		if docs, err = h.statementDocs(ctx, c, u); err != nil {
			return statementOutcome{}, err
		}
	}

	docsIter := iterator.Values(iterator.ForSlice(docs))
	result, err := common.UpdateDocument(ctx, c, "update", docsIter, u)
	docsIter.Close()

	if err != nil {
		return statementOutcome{}, lazyerrors.Error(err)
	}

	outcome := statementOutcome{matched: result.Matched.Count, modified: result.Modified.Count}

	if result.Upserted.Doc != nil {
		outcome.upsertedID = must.NotFail(result.Upserted.Doc.Get("_id"))
		// in case of upsert, MongoDB sets the matched count to 1
		outcome.matched++
	}

	return outcome, nil
}

// statementDocs queries what a statement matches.
func (h *Handler) statementDocs(ctx context.Context, c *statementCollection, u *common.Update) ([]*types.Document, error) {
	var qp backends.QueryParams
	if !h.DisablePushdown {
		qp.Filter = u.Filter
	}

	res, err := c.Query(ctx, &qp)
	if err != nil {
		return nil, lazyerrors.Error(err)
	}

	closer := iterator.NewMultiCloser()
	closer.Add(res.Iter)

	iter := common.FilterIterator(res.Iter, closer, u.Filter)
	if !u.Multi {
		iter = common.LimitIterator(iter, closer, 1)
	}

	docs, err := iterator.ConsumeValues(iter)
	closer.Close()

	if err != nil {
		return nil, lazyerrors.Error(err)
	}

	return docs, nil
}

// statementWriteError is the (single) error of we, as the error of statement index.
func statementWriteError(we *handlererrors.WriteErrors, index int) *mongo.WriteError {
	first := we.Document().Get("writeErrors").(*wirebson.Array).Get(0).(*wirebson.Document)

	return &mongo.WriteError{
		Index:   index,
		Code:    int(first.Get("code").(int32)),
		Message: first.Get("errmsg").(string),
	}
}

// updateReply is the update command's reply: n, upserted (by statement index), nModified, writeErrors.
func updateReply(outcomes []statementOutcome) *types.Document {
	var matched, modified int32

	upserted := types.MakeArray(0)
	writeErrors := types.MakeArray(0)

	for i, o := range outcomes {
		matched += o.matched
		modified += o.modified

		if o.upsertedID != nil {
			upserted.Append(must.NotFail(types.NewDocument("index", int32(i), "_id", o.upsertedID)))
		}

		if o.err != nil {
			writeErrors.Append(WriteErrorDocument(o.err))
		}
	}

	res := must.NotFail(types.NewDocument("n", matched))

	if upserted.Len() != 0 {
		res.Set("upserted", upserted)
	}

	res.Set("nModified", modified)

	if writeErrors.Len() != 0 {
		res.Set("writeErrors", writeErrors)
	}

	res.Set("ok", float64(1))

	return res
}
