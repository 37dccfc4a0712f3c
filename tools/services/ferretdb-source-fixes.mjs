// Fixes applied to the FerretDB v1.24.2 source before it is built (see buildFerretdb in install.mjs).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ServiceError } from './config.mjs';

/**
 * The SQLite backend creates its unique `_id` index on `_ferretdb_sjson->"_id"` but looks documents
 * up with `_ferretdb_sjson->'$._id'`. SQLite only uses an expression index for the same expression,
 * so every find, update and delete by `_id` scans the whole table: an update by `_id` costs 49 ms in
 * a collection of 10,000 documents and 1.4 ms in one of 100 (measured here, 100 sequential
 * updateOne calls each). `->'_id'` selects the same member (a label without `$` is an object key)
 * and matches the index, so the lookups use it: 1.4 ms per update at 10,000 documents too.
 * Existing databases need no migration: the index itself is unchanged.
 */
export const ID_INDEX_FIX = {
  file: join('internal', 'backends', 'sqlite', 'metadata', 'metadata.go'),
  from: `IDColumn = DefaultColumn + "->'$._id'"`,
  to: `IDColumn = DefaultColumn + "->'_id'"`,
};

/**
 * The SQLite backend looks a document up by `_id` only when the filter is nothing but `_id`: a
 * conditional write such as `{_id, statusSentAt: {$lte: t}}` scans the whole table (400 ms per
 * update at 10,000 documents here, 13 ms by `_id` alone). Every handler applies the whole filter
 * again to what the backend returns, so narrowing the query to the filter's `_id` whatever else
 * it holds is safe. Both the query and its explanation get it (every occurrence is replaced).
 */
export const ID_WITH_CONDITIONS_FIX = {
  file: join('internal', 'backends', 'sqlite', 'collection.go'),
  from: `if params.Filter.Len() == 1 {
		v, _ := params.Filter.Get("_id")`,
  to: `if v := filterID(params.Filter); v != nil {`,
};

/** The helper of ID_WITH_CONDITIONS_FIX, after the imports of the same file. */
export const FILTER_ID_HELPER = {
  file: ID_WITH_CONDITIONS_FIX.file,
  from: `"github.com/FerretDB/FerretDB/internal/util/must"
)
`,
  to: `"github.com/FerretDB/FerretDB/internal/util/must"
)

// filterID returns the filter's _id when it has exactly one (Get panics on a duplicated key), else nil.
func filterID(filter *types.Document) any {
	n := 0
	for _, key := range filter.Keys() {
		if key == "_id" {
			n++
		}
	}
	if n != 1 {
		return nil
	}
	v, _ := filter.Get("_id")
	return v
}
`,
};

/**
 * The update command keeps each statement's query open while it writes (until the whole command
 * ends: a `defer` inside its loop), and findAndModify keeps its query open while it writes. An open
 * query holds one pooled connection (100 with SQLite, 50 with PostgreSQL) and the write waits for
 * another, so as many concurrent updates as the pool holds wait for each other forever and FerretDB
 * answers nothing again until restarted: three concurrent bulk writes of 50 updates on SQLite, 50
 * concurrent single updates on PostgreSQL (goroutine dump: 50 waiting in pgxpool Acquire under
 * UpdateAll, PostgreSQL showing 50 connections idle after a SELECT). Each statement now reads the
 * documents it matched and closes its query before it writes, as the delete command already does.
 */
export const UPDATE_STATEMENT_CLOSE_FIX = {
  file: join('internal', 'handler', 'msg_update.go'),
  from: `		closer := iterator.NewMultiCloser()
		defer closer.Close()
`,
  to: `		closer := iterator.NewMultiCloser()
`,
};

/** The other half of UPDATE_STATEMENT_CLOSE_FIX: read, close, then write. */
export const UPDATE_STATEMENT_CLOSE_CALL = {
  file: UPDATE_STATEMENT_CLOSE_FIX.file,
  from: `		result, err := common.UpdateDocument(ctx, c, "update", iter, &u)
		if err != nil {`,
  to: `		docs, err := iterator.ConsumeValues(iter)
		closer.Close()

		if err != nil {
			return 0, 0, nil, lazyerrors.Error(err)
		}

		docsIter := iterator.Values(iterator.ForSlice(docs))
		result, err := common.UpdateDocument(ctx, c, "update", docsIter, &u)
		docsIter.Close()

		if err != nil {`,
};

/** The findAndModify half of UPDATE_STATEMENT_CLOSE_FIX (its closer also cancels the context: the query alone is closed). */
export const FIND_AND_MODIFY_CLOSE_FIX = {
  file: join('internal', 'handler', 'msg_findandmodify.go'),
  from: `	iter = common.LimitIterator(iter, closer, 1)
`,
  to: `	iter = common.LimitIterator(iter, closer, 1)

	docs, err := iterator.ConsumeValues(iter)
	if err != nil {
		return nil, lazyerrors.Error(err)
	}

	iter = iterator.Values(iterator.ForSlice(docs))
	closer.Add(iter)
`,
};

/**
 * The PostgreSQL backend pushes an equality on `_id` down as containment (`_jsonb->'_id' @> $2`,
 * with the key itself a parameter), which the unique btree index on `_jsonb->'_id'` cannot serve:
 * every find, update and delete by `_id` scans the whole table (an update by `_id` 10.9 ms at
 * 10,000 documents, a bulk write of 50 such updates 608 ms; measured here). `_id` is never an
 * array, so equality selects the same documents, and `_jsonb->'_id' = $1` (the expression the
 * backend's own update by `_id` uses) is answered from the index: 2.3 ms and 50 ms. Only strings
 * and ObjectIds, the `_id`s this project writes; other types keep the containment.
 */
export const POSTGRESQL_ID_EQUALITY_FIX = {
  file: join('internal', 'backends', 'postgresql', 'query.go'),
  from: `func filterEqual(p *metadata.Placeholder, k any, v any, operator string) (filter string, args []any) {
`,
  to: `func filterEqual(p *metadata.Placeholder, k any, v any, operator string) (filter string, args []any) {
	if k == "_id" && operator == "->" {
		switch v.(type) {
		case string, types.ObjectID:
			return metadata.IDColumn + " = " + p.Next(), []any{string(must.NotFail(sjson.MarshalSingleValue(v)))}
		}
	}

`,
};

/**
 * Every query, iterator and transaction FerretDB opens is tracked for leak detection: registered in
 * a pprof profile (which records the caller's stack) and given a finalizer that panics when the
 * object is collected unclosed. Measured here with a CPU profile of FerretDB during 1,000-gateway
 * rollouts, that bookkeeping was 11-12 % of FerretDB's CPU (mostly stack unwinding in
 * pprof.(*Profile).Add). It is a development aid: tracked only in FerretDB's debug builds now, as
 * its own stack capture already is. A leak it would have turned into a panic stays a leak.
 */
const RESOURCE_FILE = join('internal', 'util', 'resource', 'resource.go');

/** `func <name>(obj any, token *Token)` of the resource package returns at once outside debug builds. */
function debugBuildsOnly(name) {
  const start = `func ${name}(obj any, token *Token) {
`;
  return {
    file: RESOURCE_FILE,
    from: `${start}	checkArgs(obj, token)
`,
    to: `${start}	if !debugbuild.Enabled {
		return
	}

	checkArgs(obj, token)
`,
  };
}

export const RESOURCE_TRACKING_FIX = debugBuildsOnly('Track');

/** The other half of RESOURCE_TRACKING_FIX: untracking what was never tracked. */
export const RESOURCE_UNTRACKING_FIX = debugBuildsOnly('Untrack');

/**
 * FerretDB writes an update as a read (the statement's query) followed by a write of the whole
 * document it read, changed: nothing stops another update of the same document in between, and the
 * later write undoes the earlier one. MongoDB applies each update to a document atomically. Here two
 * clients setting different fields of the same 1,000 documents concurrently (bulk writes of 20) lost
 * up to 6 of their updates a run; in the product, a gateway's confirming Status was undone by its
 * deployment's pending copy written at the same moment (the gateway shown pending at its old version
 * while its deployment target was confirmed). Update, findAndModify and delete commands now run one
 * at a time per collection, from their read to their write: SQLite writes one at a time anyway. The
 * lock is taken before any connection, and a holder waits for nothing but connections, which no
 * waiter holds.
 */
export const COLLECTION_WRITE_LOCKS = {
  file: join('internal', 'handler', 'um_collection_write_locks.go'),
  create: `package handler

import "sync"

// collectionWriteLocks holds one mutex per "database.collection" written by update, findAndModify
// or delete (added by the Upgrade Manager build: see tools/services/ferretdb-source-fixes.mjs).
var collectionWriteLocks sync.Map

// lockCollectionWrites waits until no other update, findAndModify or delete of the collection runs,
// and returns the function that lets the next one run.
func lockCollectionWrites(db, collection string) func() {
	lock, _ := collectionWriteLocks.LoadOrStore(db+"."+collection, new(sync.Mutex))
	mutex := lock.(*sync.Mutex)
	mutex.Lock()

	return mutex.Unlock
}
`,
};

/** The call line `call` (with its indentation) of `file` made under COLLECTION_WRITE_LOCKS. */
function underCollectionLock(file, call) {
  const indent = /^\t*/.exec(call)[0];
  return {
    file: join('internal', 'handler', file),
    from: `${call}
`,
    to: `${indent}unlock := lockCollectionWrites(params.DB, params.Collection)
${call}
${indent}unlock()
`,
  };
}

/** COLLECTION_WRITE_LOCKS around the update command. */
export const UPDATE_UNDER_LOCK = underCollectionLock('msg_update.go', '\tmatched, modified, upserted, err := h.updateDocument(connCtx, params)');

/** COLLECTION_WRITE_LOCKS around findAndModify. */
export const FIND_AND_MODIFY_UNDER_LOCK = underCollectionLock('msg_findandmodify.go', '\tres, err := h.findAndModifyDocument(connCtx, params)');

/** COLLECTION_WRITE_LOCKS around each delete statement (its read of what matches, then its delete). */
export const DELETE_UNDER_LOCK = underCollectionLock('msg_delete.go', '\t\td, err = h.execDelete(connCtx, c, &p)');

/**
 * The SQLite backend scans the whole table for `_id: {$in: [...]}`: it looks up nothing but a
 * single `_id`. One updateMany of 100 listed ids with a condition took 530 ms at 10,000 documents
 * (100 updates by `_id` in bulk writes: 45 ms; measured here). A filter whose `_id` is `{$in: [...]}`
 * of strings and ObjectIds (with or without further conditions) is now narrowed to
 * `_ferretdb_sjson->'_id' IN (...)`, answered from the `_id` index; the handlers apply the whole
 * filter again to what it returns (see ID_WITH_CONDITIONS_FIX). Another `_id` operator, a listed
 * value of another type or a list of more than MaxIDsInList keeps the scan. The PostgreSQL
 * backend still scans for `$in` (its equality fix is POSTGRESQL_ID_EQUALITY_FIX).
 */
export const ID_IN_LIST_FIX = {
  file: ID_WITH_CONDITIONS_FIX.file,
  from: `	q += whereClause
	q += prepareOrderByClause(params.Sort)
`,
  to: `	if whereClause == "" {
		whereClause, args = filterIDInList(params.Filter)
	}

	q += whereClause
	q += prepareOrderByClause(params.Sort)
`,
};

/** The explanation's half of ID_IN_LIST_FIX. */
export const ID_IN_LIST_EXPLAIN = {
  file: ID_WITH_CONDITIONS_FIX.file,
  from: `	orderByClause := prepareOrderByClause(params.Sort)
	sortPushdown := orderByClause != ""
`,
  to: `	if whereClause == "" {
		whereClause, args = filterIDInList(params.Filter)
		filterPushdown = whereClause != ""
	}

	orderByClause := prepareOrderByClause(params.Sort)
	sortPushdown := orderByClause != ""
`,
};

/** The helper of ID_IN_LIST_FIX (it uses FILTER_ID_HELPER's filterID), before the collection type. */
export const ID_IN_LIST_HELPER = {
  file: ID_WITH_CONDITIONS_FIX.file,
  from: `// collection implements backends.Collection interface.
type collection struct {`,
  to: `// MaxIDsInList bounds the ids filterIDInList binds, far below SQLite's limit on parameters (32766).
const MaxIDsInList = 10000

// filterIDInList returns the WHERE clause and arguments selecting the filter's \`_id: {$in: [...]}\`
// through the _id index, when every listed value is a string or an ObjectId; else "" and nil.
func filterIDInList(filter *types.Document) (string, []any) {
	condition, ok := filterID(filter).(*types.Document)
	if !ok || condition.Len() != 1 {
		return "", nil
	}

	v, err := condition.Get("$in")
	if err != nil {
		return "", nil
	}

	list, ok := v.(*types.Array)
	if !ok || list.Len() == 0 || list.Len() > MaxIDsInList {
		return "", nil
	}

	placeholders := make([]string, list.Len())
	args := make([]any, list.Len())

	for i := 0; i < list.Len(); i++ {
		id := must.NotFail(list.Get(i))
		switch id.(type) {
		case string, types.ObjectID:
		default:
			return "", nil
		}

		placeholders[i] = "?"
		args[i] = string(must.NotFail(sjson.MarshalSingleValue(id)))
	}

	return fmt.Sprintf(\` WHERE %s IN (%s)\`, metadata.IDColumn, strings.Join(placeholders, ", ")), args
}

// collection implements backends.Collection interface.
type collection struct {`,
};

/**
 * An update statement that modifies many documents (updateMany) writes each in a transaction of
 * its own. The modified documents of a statement (or of a findAndModify) are now written together
 * when the statement has applied its update to every matched document, in one transaction, as
 * they were read before under the collection's write lock (COLLECTION_WRITE_LOCKS). Documents
 * modified before a document the update fails on are still written, as MongoDB does. FerretDB's CPU
 * per document in updateMany statements of 100 ids (2,000 documents, load 6-11): 0.12-0.22 ms
 * before, 0.09-0.16 ms after (alternating builds; wall time too noisy to tell).
 */
export const UPDATE_WRITES_TOGETHER = {
  file: join('internal', 'handler', 'common', 'update.go'),
  from: `func UpdateDocument(ctx context.Context, c backends.Collection, cmd string, iter types.DocumentsIterator, param *Update) (*UpdateResult, error) {`,
  to: `func updateDocumentOneByOne(ctx context.Context, c backends.Collection, cmd string, iter types.DocumentsIterator, param *Update) (*UpdateResult, error) {`,
};

/** The writer of UPDATE_WRITES_TOGETHER, in a file of its own. */
export const UPDATE_WRITES_TOGETHER_WRITER = {
  file: join('internal', 'handler', 'common', 'um_update_writes_together.go'),
  create: `package common

import (
	"context"

	"github.com/FerretDB/FerretDB/internal/backends"
	"github.com/FerretDB/FerretDB/internal/types"
	"github.com/FerretDB/FerretDB/internal/util/lazyerrors"
)

// UpdateDocument applies the update to the documents of iter and writes the modified ones in one
// UpdateAll (added by the Upgrade Manager build: see tools/services/ferretdb-source-fixes.mjs).
func UpdateDocument(ctx context.Context, c backends.Collection, cmd string, iter types.DocumentsIterator, param *Update) (*UpdateResult, error) { //nolint:lll // for readability
	together := &updatesTogether{Collection: c}
	result, err := updateDocumentOneByOne(ctx, together, cmd, iter, param)

	if len(together.docs) > 0 {
		if _, writeErr := c.UpdateAll(ctx, &backends.UpdateAllParams{Docs: together.docs}); writeErr != nil {
			return nil, lazyerrors.Error(writeErr)
		}
	}

	return result, err
}

// updatesTogether is the collection, except that UpdateAll keeps the documents for one write.
type updatesTogether struct {
	backends.Collection
	docs []*types.Document
}

// UpdateAll implements backends.Collection interface.
func (u *updatesTogether) UpdateAll(_ context.Context, params *backends.UpdateAllParams) (*backends.UpdateAllResult, error) {
	u.docs = append(u.docs, params.Docs...)
	return &backends.UpdateAllResult{Updated: int32(len(params.Docs))}, nil
}
`,
};

/** Go files of the fixes below, kept as files so that they can be read, linted and tested as Go. */
const GO_FILES_DIR = new URL('./ferretdb-fixes/', import.meta.url);

/** A fix that adds the Go file `name` of GO_FILES_DIR to the folder `dir` of the FerretDB source. */
function goFile(dir, name) {
  return { file: join(dir, name), create: readFileSync(new URL(name, GO_FILES_DIR), 'utf8') };
}

const SJSON_PACKAGE_DIR = join('internal', 'handler', 'sjson');

/**
 * sjson.Unmarshal decodes every stored document with encoding/json: once as a map of raw values,
 * then each nested value again with a json.Decoder of its own. Measured here with a CPU profile of
 * FerretDB during 1,000-gateway rollouts (`npm run bench -- --skip-list --skip-ingest`), that was
 * 32 % of FerretDB's CPU (every update reads its document first). A one-pass decoder of what
 * sjson.Marshal writes now answers first; it gives up on anything else (regex, escaped strings,
 * duplicated keys, malformed input), which is decoded as before. Its test compares the two on
 * 20,000 random documents and on damaged copies of them. Since um-fixes-13 it decodes binData too
 * (base64, as encoding/json does): a rollout reads its image's GridFS chunks, and decoding them with
 * encoding/json was 3 % of FerretDB's CPU in a profile of 1,000-gateway rollouts of 1 MiB; FerretDB's
 * CPU reading 1.25 MiB of chunks three times (10 alternating rounds, twice): 0.12-0.18 s before,
 * 0.05-0.07 s after.
 */
export const SJSON_FAST_UNMARSHAL = goFile(SJSON_PACKAGE_DIR, 'um_sjson_fast_unmarshal.go');

/** The test of SJSON_FAST_UNMARSHAL (`go test ./internal/handler/sjson/` in a patched source). */
export const SJSON_FAST_UNMARSHAL_TEST = goFile(SJSON_PACKAGE_DIR, 'um_sjson_fast_unmarshal_test.go');

/** The other half of SJSON_FAST_UNMARSHAL: Unmarshal tries it first, then decodes as before. */
export const SJSON_UNMARSHAL_FAST_FIRST = {
  file: join('internal', 'handler', 'sjson', 'sjson.go'),
  from: `func Unmarshal(data []byte) (*types.Document, error) {
`,
  to: `func Unmarshal(data []byte) (*types.Document, error) {
	if d, ok := unmarshalFast(data); ok {
		return d, nil
	}

	return unmarshalDecoded(data)
}

// unmarshalDecoded is Unmarshal with encoding/json, for what unmarshalFast does not answer.
func unmarshalDecoded(data []byte) (*types.Document, error) {
`,
};

/**
 * sjson.Marshal builds a buffer for every schema element and value of a document and encodes every
 * key, string and number with json.Marshal: 7 % of FerretDB's CPU in the same rollouts (every update
 * writes its whole document). A one-buffer encoder that writes plain strings and integers itself now
 * answers first, byte for byte the same (its test compares the two on 20,000 random documents); it
 * gives up on binData, regex, and what Marshal refuses (NaN), which are encoded as before.
 */
export const SJSON_FAST_MARSHAL = goFile(SJSON_PACKAGE_DIR, 'um_sjson_fast_marshal.go');

/** The test of SJSON_FAST_MARSHAL. */
export const SJSON_FAST_MARSHAL_TEST = goFile(SJSON_PACKAGE_DIR, 'um_sjson_fast_marshal_test.go');

/** The other half of SJSON_FAST_MARSHAL: Marshal tries it first, then encodes as before. */
export const SJSON_MARSHAL_FAST_FIRST = {
  file: join('internal', 'handler', 'sjson', 'sjson.go'),
  from: `func Marshal(d *types.Document) ([]byte, error) {
	if d == nil {
		panic("v is nil")
	}
`,
  to: `func Marshal(d *types.Document) ([]byte, error) {
	if d == nil {
		panic("v is nil")
	}

	if b, ok := marshalFast(d); ok {
		return b, nil
	}

	return marshalEncoded(d)
}

// marshalEncoded is Marshal with json.Marshal, for what marshalFast does not answer.
func marshalEncoded(d *types.Document) ([]byte, error) {
`,
};

const HANDLER_PACKAGE_DIR = join('internal', 'handler');

/**
 * An update command of many single-document statements (the API's gateway Status upserts: bulk
 * writes of 20 conditional upserts by \`_id\`) read each statement's document with a query of its
 * own and wrote it in a transaction of its own. In a CPU profile of FerretDB replaying such commands,
 * opening and committing those transactions was about 12 % of FerretDB's CPU and the statements'
 * queries 15 %. The statements of a command still run in order, but the documents of those that
 * require a string or ObjectID \`_id\` are read first in one query (\`_id: {$in}\`, ID_IN_LIST_FIX),
 * and what they change is written together when the command ends (each run of consecutive updated,
 * or inserted, documents in one UpdateAll, or InsertAll: one transaction), all under the
 * collection's write lock held for the whole command (COLLECTION_WRITE_LOCKS). A statement that
 * could read a document still waiting to be written (its filter requires no single such \`_id\`, or
 * one that is waiting) has the waiting documents written first; a document read ahead is given to
 * one statement only, and not at all once written (PostgreSQL, which scans for \`_id: {$in}\`, reads
 * nothing ahead). A run that fails is written again one document at a time: an upsert's duplicate
 * key is that statement's error, any other failure the command's.
 * The reply now follows MongoDB: a statement's error carries its own index (FerretDB said index 0
 * and dropped n and nModified), an unordered command goes on after it (FerretDB stopped), and
 * \`upserted\` gives the statement's index (FerretDB counted the upserts). FerretDB's CPU per
 * statement replaying 20,000 such upserts (bulk writes of 20, 1,000 gateways, two at a time,
 * load 10-13, three alternating pairs twice): 0.28-0.33 ms before, 0.17-0.21 ms after (the writes
 * together without the read ahead: 0.19-0.24 ms).
 * Its test: \`go test -run TestUpdateStatements ./internal/handler/\` in a patched source.
 */
export const UPDATE_STATEMENTS_TOGETHER = goFile(HANDLER_PACKAGE_DIR, 'um_stmtx_update_statements.go');

/** The test of UPDATE_STATEMENTS_TOGETHER. */
export const UPDATE_STATEMENTS_TOGETHER_TEST = goFile(HANDLER_PACKAGE_DIR, 'um_stmtx_update_statements_test.go');

/** The update command runs its statements through UPDATE_STATEMENTS_TOGETHER (after UPDATE_UNDER_LOCK). */
export const UPDATE_STATEMENTS_TOGETHER_CALL = {
  file: join('internal', 'handler', 'msg_update.go'),
  from: `	matched, modified, upserted, err := h.updateDocument(connCtx, params)
	unlock()
	if err != nil {
		return nil, handleUpdateError(params.DB, params.Collection, "update", err)
	}

	res := must.NotFail(types.NewDocument(
		"n", matched,
	))

	if upserted.Len() != 0 {
		res.Set("upserted", upserted)
	}

	res.Set("nModified", modified)
	res.Set("ok", float64(1))

	return documentOpMsg(
		res,
	)
`,
  to: `	res, err := h.updateStatements(connCtx, params)
	unlock()
	if err != nil {
		return nil, handleUpdateError(params.DB, params.Collection, "update", err)
	}

	return documentOpMsg(res)
`,
};

/**
 * The insert command wrote its documents in a transaction per 100 (the handler's batch size), so
 * each insert of 1,000 documents (events, rollout targets and deployment targets in a rollout)
 * committed ten times; the commits were a fifth of FerretDB's CPU in its insert commands in a profile
 * of 1,000-gateway rollouts. The valid documents of a command are now inserted in one InsertAll (one
 * transaction, still 100 rows per INSERT statement); when that fails, in chunks of 100 as before, and
 * a failing chunk one document at a time, so a duplicate \`_id\` is still that document's write
 * error. The reply now follows MongoDB where FerretDB did not: an ordered command stops at its
 * first write error and reports only it (FerretDB went on with the next 100 documents after a
 * duplicate, and reported an invalid document after it too). A document that passes validation
 * but that sjson cannot encode (an infinity inside an array) is that document's write error too
 * (BadValue), not the command's: the command error hid from the client the documents written before
 * it, and an unordered command stopped there, so the documents after it were never written however
 * often the client retried. A failure of the database itself is still the command's (since um-fixes-14).
 * Its test: \`go test -run TestInsertTogether ./internal/handler/\` in a patched source.
 */
export const INSERT_TOGETHER = goFile(HANDLER_PACKAGE_DIR, 'um_fdbins_insert_together.go');

/** The test of INSERT_TOGETHER. */
export const INSERT_TOGETHER_TEST = goFile(HANDLER_PACKAGE_DIR, 'um_fdbins_insert_together_test.go');

/** FerretDB's insert command keeps its code under another name; INSERT_TOGETHER's MsgInsert replaces it. */
export const INSERT_TOGETHER_RENAME = {
  file: join('internal', 'handler', 'msg_insert.go'),
  from: `// MsgInsert implements \`insert\` command.
//
// The passed context is canceled when the client connection is closed.
func (h *Handler) MsgInsert(connCtx context.Context, msg *wire.OpMsg) (*wire.OpMsg, error) {`,
  to: `// msgInsertBatchByBatch was MsgInsert (replaced by um_fdbins_insert_together.go's, INSERT_TOGETHER).
func (h *Handler) msgInsertBatchByBatch(connCtx context.Context, msg *wire.OpMsg) (*wire.OpMsg, error) {`,
};

/** The update command's \`ordered\` (true unless false), which FerretDB ignored, for UPDATE_STATEMENTS_TOGETHER. */
export const UPDATE_ORDERED_PARAM = {
  file: join('internal', 'handler', 'common', 'update_params.go'),
  from: `	Ordered                  bool            \`ferretdb:"ordered,ignored"\``,
  to: `	Ordered                  bool            \`ferretdb:"ordered,opt"\``,
};

/** The default of UPDATE_ORDERED_PARAM, as MongoDB's. */
export const UPDATE_ORDERED_DEFAULT = {
  file: UPDATE_ORDERED_PARAM.file,
  from: `	var params UpdateParams

	err := handlerparams.ExtractParams(document, "update", &params, l)`,
  to: `	params := UpdateParams{Ordered: true}

	err := handlerparams.ExtractParams(document, "update", &params, l)`,
};
/**
 * The SQLite driver (modernc.org/sqlite) compiles every statement it runs and throws it away after
 * one use. FerretDB writes a document with `UPDATE "<table>" SET _ferretdb_sjson = ? WHERE
 * _ferretdb_sjson->'_id' = ?`, and compiling that (the table's `_id` index is on a JSON expression)
 * was 8 % of FerretDB's CPU in a profile of 1,000-gateway rollouts; inserts add 1.6 %, SELECTs 4 %.
 * Each connection now keeps its last 16 SELECT, INSERT, UPDATE and DELETE statements by their text
 * and runs them again after sqlite3_reset (SQLite compiles a kept statement again when the schema
 * changed; one that fails is thrown away; a SELECT's is reset when its rows are closed, and the same
 * SELECT meanwhile is compiled for one use). Schema changes and transactions run as before. The
 * driver's module source is copied into the FerretDB source (SQLITE_DRIVER_DIR, see
 * copySqliteDriver) and used in its place (SQLITE_DRIVER_REPLACE); its test runs with the build.
 */
export const SQLITE_DRIVER_DIR = 'um-modernc-sqlite';

/** The FerretDB module builds with the copied driver (a nested module: not part of FerretDB's packages). */
export const SQLITE_DRIVER_REPLACE = {
  file: 'go.mod',
  from: `module github.com/FerretDB/FerretDB
`,
  to: `module github.com/FerretDB/FerretDB

// The SQLite driver with the Upgrade Manager build's fixes (tools/services/ferretdb-source-fixes.mjs).
replace modernc.org/sqlite => ./${SQLITE_DRIVER_DIR}
`,
};

export const SQLITE_STMT_CACHE = goFile(SQLITE_DRIVER_DIR, 'um_fdbprof_stmt_cache.go');

/** The test of SQLITE_STMT_CACHE (`go test -run UMStmtCache modernc.org/sqlite` in the fixed source). */
export const SQLITE_STMT_CACHE_TEST = goFile(SQLITE_DRIVER_DIR, 'um_fdbprof_stmt_cache_test.go');

const SQLITE_DRIVER_FILE = join(SQLITE_DRIVER_DIR, 'sqlite.go');

/** The connection's kept statements (SQLITE_STMT_CACHE). */
export const SQLITE_STMT_CACHE_FIELD = {
  file: SQLITE_DRIVER_FILE,
  from: `	writeTimeFormat string
	beginMode       string
}
`,
  to: `	writeTimeFormat string
	beginMode       string

	stmtCache stmtCache // statements kept for the next use (um_fdbprof_stmt_cache.go)
}
`,
};

/** A write without a result set runs with a kept statement first (SQLITE_STMT_CACHE). */
export const SQLITE_STMT_CACHE_EXEC = {
  file: SQLITE_DRIVER_FILE,
  from: `func (c *conn) exec(ctx context.Context, query string, args []driver.NamedValue) (r driver.Result, err error) {
`,
  to: `func (c *conn) exec(ctx context.Context, query string, args []driver.NamedValue) (r driver.Result, err error) {
	if r, handled, err := c.execCached(ctx, query, args); handled {
		return r, err
	}

`,
};

/** A query runs with a kept statement first (SQLITE_STMT_CACHE). */
export const SQLITE_STMT_CACHE_QUERY = {
  file: SQLITE_DRIVER_FILE,
  from: `func (c *conn) query(ctx context.Context, query string, args []driver.NamedValue) (r driver.Rows, err error) {
`,
  to: `func (c *conn) query(ctx context.Context, query string, args []driver.NamedValue) (r driver.Rows, err error) {
	if r, handled, err := c.queryCached(ctx, query, args); handled {
		return r, err
	}

`,
};

/** Rows read from a kept statement (SQLITE_STMT_CACHE_QUERY) know it. */
export const SQLITE_STMT_CACHE_ROWS_FIELD = {
  file: SQLITE_DRIVER_FILE,
  from: `	doStep bool
	empty  bool
}
`,
  to: `	doStep bool
	empty  bool

	kept *cachedStmt // the kept statement read, reset instead of finalized on Close (um_fdbprof_stmt_cache.go)
}
`,
};

/** Closed rows of a kept statement reset it instead of finalizing it (SQLITE_STMT_CACHE_QUERY). */
export const SQLITE_STMT_CACHE_ROWS_CLOSE = {
  file: SQLITE_DRIVER_FILE,
  from: `func (r *rows) Close() (err error) {
`,
  to: `func (r *rows) Close() (err error) {
	if r.kept != nil {
		return r.closeKept()
	}

`,
};

/** A closing connection finalizes its kept statements first (SQLITE_STMT_CACHE). */
export const SQLITE_STMT_CACHE_CLOSE = {
  file: SQLITE_DRIVER_FILE,
  from: `	if c.db != 0 {
		if err := c.closeV2(c.db); err != nil {`,
  to: `	if c.db != 0 {
		c.stmtCache.finalizeAll(c)

		if err := c.closeV2(c.db); err != nil {`,
};

/**
 * The driver started a goroutine for every statement, transaction start and commit, to interrupt
 * SQLite if the statement's context were cancelled meanwhile: 2.7 % of FerretDB's CPU in the same
 * profile. context.AfterFunc does the same without a goroutine until the context is cancelled.
 */
export const SQLITE_INTERRUPT_AFTER_FUNC = {
  file: SQLITE_DRIVER_FILE,
  from: `	donech := make(chan struct{})

	go func() {
		select {
		case <-ctx.Done():
			// don't call interrupt if we were already done: it indicates that this
			// call to exec is no longer running and we would be interrupting
			// nothing, or even possibly an unrelated later call to exec.
			if atomic.AddInt32(done, 1) == 1 {
				c.interrupt(c.db)
			}
		case <-donech:
		}
	}()

	// the caller is expected to defer this function
	return func() {
		// set the done flag so that a context cancellation right after the caller
		// returns doesn't trigger a call to interrupt for some other statement.
		atomic.AddInt32(done, 1)
		close(donech)
	}`,
  to: `	stop := context.AfterFunc(ctx, func() {
		// don't call interrupt if we were already done: it indicates that this
		// call to exec is no longer running and we would be interrupting
		// nothing, or even possibly an unrelated later call to exec.
		if atomic.AddInt32(done, 1) == 1 {
			c.interrupt(c.db)
		}
	})

	// the caller is expected to defer this function
	return func() {
		// set the done flag so that a context cancellation right after the caller
		// returns doesn't trigger a call to interrupt for some other statement.
		atomic.AddInt32(done, 1)
		stop()
	}`,
};

/**
 * The SQLite library compares memory with libc.Xmemcmp, a byte-at-a-time loop: the JSON functions'
 * cache compares each new document with the documents parsed before it in the statement (the same
 * length and, with FerretDB's schema first, a long common start), and index lookups compare keys.
 * On Linux (amd64, arm64) the library calls UMMemcmp instead, which skips equal 64-byte blocks and
 * words and returns what libc.Xmemcmp returns (its test compares the two on 200,000 random pairs).
 * FerretDB's CPU inserting 2,000 documents in two collections with the API's indexes (16 rounds
 * alternating with a build without it, twice): 1.80-1.91 s before, 1.46-1.50 s after.
 */
export const SQLITE_FAST_MEMCMP = goFile(join(SQLITE_DRIVER_DIR, 'lib'), 'um_fdbins_memcmp.go');

/** The test of SQLITE_FAST_MEMCMP (`go test -run UMMemcmp modernc.org/sqlite` in the fixed source). */
export const SQLITE_FAST_MEMCMP_TEST = goFile(SQLITE_DRIVER_DIR, 'um_fdbins_memcmp_test.go');

/** The library's memcmp calls on Linux amd64 and arm64 (SQLITE_FAST_MEMCMP). */
export const SQLITE_FAST_MEMCMP_CALLS = ['linux_amd64', 'linux_arm64'].map((platform) => ({
  file: join(SQLITE_DRIVER_DIR, 'lib', `sqlite_${platform}.go`),
  from: 'libc.Xmemcmp(tls, ',
  to: 'UMMemcmp(tls, ',
}));

/**
 * SQLite's JSON parser (jsonTranslateTextToBlob, called once per value of a document) was
 * transpiled with a C-stack slot taken and a `defer` freeing it on every call, for a variable only
 * a JSON5 label without quotes uses: Go's defer machinery was half of the parser's CPU, which
 * every write pays: an update by `_id` evaluates its table's index expressions on the stored and
 * on the new document (`_ferretdb_sjson->'_id'`, and `gatewayId` on gateways), an insert on the
 * new one, so each parses both once (the statement's JSON cache serves the second index). The
 * parser was 20 % of FerretDB's CPU in a replay of a rollout's gateway updates, half of it Go's
 * defer. The slot is now taken in that branch and freed as soon as it is read, on both of its ways
 * out (its test parses such labels, valid and invalid, many times in one statement). FerretDB CPU
 * per round of a replay of one 1,000-gateway rollout's writes (1,000 pending copies in updateMany
 * of 100 listed `_id`s, 1,000 conditional Status upserts by `_id` in bulk writes of 50, 2,000 event
 * inserts in hundreds), alternating with `um-fixes-13`, 16 pairs of 5-8 rounds, load 2-10:
 * 0.354 -> 0.308 s (4 pairs, 4 better), 0.344 -> 0.320 s (6, 4), 0.320 -> 0.297 s (6, 5). The
 * bench's spread hides it (about 0.04 of 0.7 database CPU s per rollout; README).
 */
export const SQLITE_JSON_PARSE_NO_DEFER_TEST = goFile(SQLITE_DRIVER_DIR, 'um_dbw_json_parse_test.go');

/** The parser's four places (SQLITE_JSON_PARSE_NO_DEFER), on Linux amd64 and arm64. */
export const SQLITE_JSON_PARSE_NO_DEFER = ['linux_amd64', 'linux_arm64'].flatMap((platform) =>
  [
    {
      from: `func _jsonTranslateTextToBlob(tls *libc.TLS, pParse uintptr, i Tu32) (r int32) {
	bp := tls.Alloc(16)
	defer tls.Free(16)
`,
      to: `func _jsonTranslateTextToBlob(tls *libc.TLS, pParse uintptr, i Tu32) (r int32) {
	var bp uintptr // taken and freed where a label without quotes uses it (SQLITE_JSON_PARSE_NO_DEFER)
`,
    },
    {
      from: `			*(*int32)(unsafe.Pointer(bp)) = int32(JSONB_TEXT)
`,
      to: `			bp = tls.Alloc(16)
			*(*int32)(unsafe.Pointer(bp)) = int32(JSONB_TEXT)
`,
    },
    {
      from: `				_jsonBlobAppendNode(tls, pParse, uint8(*(*int32)(unsafe.Pointer(bp))), uint32(k)-j, z+uintptr(j))
`,
      to: `				_jsonBlobAppendNode(tls, pParse, uint8(*(*int32)(unsafe.Pointer(bp))), uint32(k)-j, z+uintptr(j))
				tls.Free(16)
`,
    },
    {
      from: `				x = k
			} else {
				if x != -int32(1) {
`,
      to: `				x = k
			} else {
				tls.Free(16)
				if x != -int32(1) {
`,
    },
  ].map((change) => ({ file: join(SQLITE_DRIVER_DIR, 'lib', `sqlite_${platform}.go`), ...change })),
);

/**
 * FerretDB's SQLite backend keeps its indexes on JSON expressions (`_ferretdb_sjson->'_id'`, and
 * `->"field"` for the collections' own indexes), and SQLite evaluates `->` by converting the whole
 * document into its binary JSON form first: for the stored and for the new document of every
 * updated row (the old index entries are deleted, the new ones written), and for every inserted
 * one. That conversion was 12 % of FerretDB's CPU in a profile of a replay of a rollout's writes
 * (`_jsonExtractFunc`), about 9 % in 1,000-gateway rollouts. `->` with a one-label path on an
 * object in canonical JSON (what sjson writes) is now answered in Go: one pass checks the document
 * and notes where its members are (the last two documents, in one of 64 memos chosen by the
 * connection, so the second index of a table finds them), and the answer is the member's text as written, which is what
 * SQLite returns for canonical JSON (with the JSON subtype; NULL without such a member). Anything
 * else (JSON5, malformed JSON, escaped keys, whitespace inside the value, other functions and
 * paths) SQLite answers as before. The index entries are the same, so existing databases need
 * nothing. Its test compares the two on 20,000 random documents (canonical, JSON5, damaged) and
 * paths, on a table of edge cases and with eight connections at once, and runs SQLite's integrity
 * check, without it, on an indexed table written with it.
 */
export const SQLITE_JSON_EXTRACT_FAST = goFile(join(SQLITE_DRIVER_DIR, 'lib'), 'um_fdbupd_json_extract.go');

/** The test of SQLITE_JSON_EXTRACT_FAST (`go test -run UMJSONExtract modernc.org/sqlite` in the fixed source). */
export const SQLITE_JSON_EXTRACT_FAST_TEST = goFile(SQLITE_DRIVER_DIR, 'um_fdbupd_json_extract_test.go');

/** `->`, `->>` and json_extract (one SQLite function) try SQLITE_JSON_EXTRACT_FAST first, on Linux amd64 and arm64. */
export const SQLITE_JSON_EXTRACT_FAST_CALLS = ['linux_amd64', 'linux_arm64'].map((platform) => ({
  file: join(SQLITE_DRIVER_DIR, 'lib', `sqlite_${platform}.go`),
  from: `func _jsonExtractFunc(tls *libc.TLS, ctx uintptr, argc int32, argv uintptr) {
`,
  to: `func _jsonExtractFunc(tls *libc.TLS, ctx uintptr, argc int32, argv uintptr) {
	if umJSONExtract(tls, ctx, argc, argv) {
		return
	}

`,
}));

/**
 * Before handing a command to its handler, FerretDB converted the whole command document to its
 * own types only to read its `comment` (a tracing context), and the handler converted it again:
 * the first conversion was 3 % of FerretDB's CPU in a profile of 1,000-gateway rollouts (a bulk
 * write of a thousand statements is one document). The comment is now read from the decoded
 * message itself (a string, as before; anything else is no comment, as before). The conversion
 * cannot fail on a message that the wire layer already decoded deeply, so no reply changes.
 */
const CLIENTCONN_FILE = join('internal', 'clientconn', 'conn.go');

export const ROUTE_COMMENT_ONLY = {
  file: CLIENTCONN_FILE,
  from: `		document, err = bson.ToDocument(doc)

		if err == nil {
			comment, _ := common.GetOptionalParam(document, "comment", "")
`,
  to: `		// the comment alone: the handler converts the whole document (ROUTE_COMMENT_ONLY)
		if err == nil {
			comment, _ := doc.Get("comment").(string)
`,
};

/** The other halves of ROUTE_COMMENT_ONLY: the converted document, and the imports only it used. */
export const ROUTE_COMMENT_ONLY_UNUSED = [
  `		var document *types.Document
`,
  `	"github.com/FerretDB/FerretDB/internal/bson"
`,
  `	"github.com/FerretDB/FerretDB/internal/handler/common"
`,
  `	"github.com/FerretDB/FerretDB/internal/types"
`,
].map((line) => ({ file: CLIENTCONN_FILE, from: line, to: '' }));

const FIXES = [
  ID_INDEX_FIX,
  ID_WITH_CONDITIONS_FIX,
  FILTER_ID_HELPER,
  UPDATE_STATEMENT_CLOSE_FIX,
  UPDATE_STATEMENT_CLOSE_CALL,
  FIND_AND_MODIFY_CLOSE_FIX,
  POSTGRESQL_ID_EQUALITY_FIX,
  RESOURCE_TRACKING_FIX,
  RESOURCE_UNTRACKING_FIX,
  COLLECTION_WRITE_LOCKS,
  UPDATE_UNDER_LOCK,
  FIND_AND_MODIFY_UNDER_LOCK,
  DELETE_UNDER_LOCK,
  SJSON_FAST_UNMARSHAL,
  SJSON_FAST_UNMARSHAL_TEST,
  SJSON_UNMARSHAL_FAST_FIRST,
  SJSON_FAST_MARSHAL,
  SJSON_FAST_MARSHAL_TEST,
  SJSON_MARSHAL_FAST_FIRST,
  ID_IN_LIST_FIX,
  ID_IN_LIST_EXPLAIN,
  ID_IN_LIST_HELPER,
  UPDATE_WRITES_TOGETHER,
  UPDATE_WRITES_TOGETHER_WRITER,
  UPDATE_STATEMENTS_TOGETHER,
  UPDATE_STATEMENTS_TOGETHER_TEST,
  UPDATE_STATEMENTS_TOGETHER_CALL,
  UPDATE_ORDERED_PARAM,
  UPDATE_ORDERED_DEFAULT,
  INSERT_TOGETHER,
  INSERT_TOGETHER_TEST,
  INSERT_TOGETHER_RENAME,
  SQLITE_DRIVER_REPLACE,
  SQLITE_STMT_CACHE,
  SQLITE_STMT_CACHE_TEST,
  SQLITE_STMT_CACHE_FIELD,
  SQLITE_STMT_CACHE_EXEC,
  SQLITE_STMT_CACHE_QUERY,
  SQLITE_STMT_CACHE_ROWS_FIELD,
  SQLITE_STMT_CACHE_ROWS_CLOSE,
  SQLITE_STMT_CACHE_CLOSE,
  SQLITE_INTERRUPT_AFTER_FUNC,
  SQLITE_FAST_MEMCMP,
  SQLITE_FAST_MEMCMP_TEST,
  ...SQLITE_FAST_MEMCMP_CALLS,
  SQLITE_JSON_PARSE_NO_DEFER_TEST,
  ...SQLITE_JSON_PARSE_NO_DEFER,
  SQLITE_JSON_EXTRACT_FAST,
  SQLITE_JSON_EXTRACT_FAST_TEST,
  ...SQLITE_JSON_EXTRACT_FAST_CALLS,
  ROUTE_COMMENT_ONLY,
  ...ROUTE_COMMENT_ONLY_UNUSED,
];

export function applyFerretdbSourceFixes(sourceDir) {
  for (const fix of FIXES) {
    const file = join(sourceDir, fix.file);
    if (fix.create !== undefined) {
      if (existsSync(file)) throw new ServiceError(`FerretDB source changed: ${fix.file} exists already; review tools/services/ferretdb-source-fixes.mjs.`);
      writeFileSync(file, fix.create);
      continue;
    }
    const source = readFileSync(file, 'utf8');
    if (!source.includes(fix.from)) {
      throw new ServiceError(`FerretDB source changed: ${fix.file} no longer contains ${fix.from}; review tools/services/ferretdb-source-fixes.mjs.`);
    }
    writeFileSync(file, source.replaceAll(fix.from, fix.to));
  }
}
