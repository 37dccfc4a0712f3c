package handler

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/FerretDB/wire"
	"go.mongodb.org/mongo-driver/mongo"

	"github.com/FerretDB/FerretDB/internal/backends"
	"github.com/FerretDB/FerretDB/internal/handler/common"
	"github.com/FerretDB/FerretDB/internal/handler/handlererrors"
	"github.com/FerretDB/FerretDB/internal/handler/sjson"
	"github.com/FerretDB/FerretDB/internal/types"
	"github.com/FerretDB/FerretDB/internal/util/iterator"
	"github.com/FerretDB/FerretDB/internal/util/lazyerrors"
	"github.com/FerretDB/FerretDB/internal/util/must"
)

// The documents of an insert command are written in one InsertAll (one transaction) instead of one
// per BatchSize documents. Added by the Upgrade Manager build: see tools/services/ferretdb-source-fixes.mjs.

// MsgInsert implements `insert` command (FerretDB's, msgInsertBatchByBatch, with insertDocuments).
//
// The passed context is canceled when the client connection is closed.
func (h *Handler) MsgInsert(connCtx context.Context, msg *wire.OpMsg) (*wire.OpMsg, error) {
	document, err := opMsgDocument(msg)
	if err != nil {
		return nil, lazyerrors.Error(err)
	}

	params, err := common.GetInsertParams(document, h.L)
	if err != nil {
		return nil, lazyerrors.Error(err)
	}

	db, err := h.b.Database(params.DB)
	if err != nil {
		return nil, namespaceError(err, "insert", params.DB, params.Collection)
	}

	c, err := db.Collection(params.Collection)
	if err != nil {
		return nil, namespaceError(err, "insert", params.DB, params.Collection)
	}

	inserted, writeErrors, err := insertDocuments(connCtx, c, params, h.BatchSize)
	if err != nil {
		return nil, err
	}

	res := must.NotFail(types.NewDocument(
		"n", inserted,
	))

	if len(writeErrors) > 0 {
		array := types.MakeArray(len(writeErrors))
		for _, we := range writeErrors {
			array.Append(WriteErrorDocument(we))
		}

		res.Set("writeErrors", array)
	}

	res.Set("ok", float64(1))

	return documentOpMsg(
		res,
	)
}

// insertDocuments validates the command's documents (giving those without an _id a new ObjectID),
// inserts the valid ones together, and returns how many it inserted and the write errors by index.
// When the documents cannot be inserted together, they are inserted again in chunks of chunk
// documents, and a chunk that fails one document at a time: a duplicate key is that document's
// write error, and so is a document the backends cannot store (sjson cannot encode it, e.g. an
// infinity inside an array), as MongoDB reports a document it refuses; any other failure (the
// database's, which a retry may not meet) is the command's. An ordered command stops at its first
// write error (only that one is reported, as MongoDB does); an unordered one goes on.
func insertDocuments(ctx context.Context, c backends.Collection, params *common.InsertParams, chunk int) (int32, []*mongo.WriteError, error) { //nolint:lll // for readability
	docsIter := params.Docs.Iterator()
	defer docsIter.Close()

	var docs []*types.Document
	var indexes []int
	var writeErrors []*mongo.WriteError

	for {
		i, d, err := docsIter.Next()
		if errors.Is(err, iterator.ErrIteratorDone) {
			break
		}

		if err != nil {
			return 0, nil, lazyerrors.Error(err)
		}

		doc := d.(*types.Document)

		if !doc.Has("_id") {
			doc.Set("_id", types.NewObjectID())
		}

		// TODO https://github.com/FerretDB/FerretDB/issues/3454
		if err = doc.ValidateData(); err == nil {
			docs = append(docs, doc)
			indexes = append(indexes, i)

			continue
		}

		var ve *types.ValidationError
		if !errors.As(err, &ve) {
			return 0, nil, lazyerrors.Error(err)
		}

		var code handlererrors.ErrorCode
		switch ve.Code() {
		case types.ErrValidation, types.ErrIDNotFound:
			code = handlererrors.ErrBadValue
		case types.ErrWrongIDType:
			code = handlererrors.ErrInvalidID
		default:
			panic(fmt.Sprintf("Unknown error code: %v", ve.Code()))
		}

		writeErrors = append(writeErrors, &mongo.WriteError{Index: i, Code: int(code), Message: ve.Error()})

		if params.Ordered {
			break
		}
	}

	inserted, failed, err := insertTogether(ctx, c, params, docs, indexes, chunk)
	if err != nil {
		return 0, nil, err
	}

	if params.Ordered && len(failed) > 0 {
		// the documents after the first failed one were not inserted, nor validated as far as MongoDB knows
		return inserted, failed[:1], nil
	}

	writeErrors = append(writeErrors, failed...)
	slices.SortFunc(writeErrors, func(a, b *mongo.WriteError) int {
		return cmp.Compare(a.Index, b.Index)
	})

	return inserted, writeErrors, nil
}

// insertTogether inserts docs (of the command's indexes) in one InsertAll, else as insertDocuments says.
// It returns the number inserted and the documents' write errors (an ordered command's first one only).
func insertTogether(ctx context.Context, c backends.Collection, params *common.InsertParams, docs []*types.Document, indexes []int, chunk int) (int32, []*mongo.WriteError, error) { //nolint:lll // for readability
	// called with no documents too: InsertAll creates the collection, as the command did before
	if _, err := c.InsertAll(ctx, &backends.InsertAllParams{Docs: docs}); err == nil {
		return int32(len(docs)), nil, nil
	}

	chunk = max(chunk, 1)

	var inserted int32
	var failed []*mongo.WriteError

	for start := 0; start < len(docs); start += chunk {
		end := min(start+chunk, len(docs))

		if _, err := c.InsertAll(ctx, &backends.InsertAllParams{Docs: docs[start:end]}); err == nil {
			inserted += int32(end - start)
			continue
		}

		for j := start; j < end; j++ {
			_, err := c.InsertAll(ctx, &backends.InsertAllParams{Docs: docs[j : j+1]})
			if err == nil {
				inserted++
				continue
			}

			we := &mongo.WriteError{
				Index:   indexes[j],
				Code:    int(handlererrors.ErrDuplicateKeyInsert),
				Message: fmt.Sprintf(`E11000 duplicate key error collection: %s.%s`, params.DB, params.Collection),
			}

			if !backends.ErrorCodeIs(err, backends.ErrorCodeInsertDuplicateID) {
				// A document that can never be stored is its own error: as a command error it hid
				// from the client the documents written before it (n), and an unordered command
				// stopped there, so the documents after it were never written however often sent.
				_, encErr := sjson.Marshal(docs[j])
				if encErr == nil {
					return 0, nil, lazyerrors.Error(err)
				}

				we.Code, we.Message = int(handlererrors.ErrBadValue), fmt.Sprintf("invalid document: %v", encErr)
			}

			failed = append(failed, we)

			if params.Ordered {
				return inserted, failed, nil
			}
		}
	}

	return inserted, failed, nil
}

// namespaceError is the error of an insert or update command whose database or collection name the
// backend refuses (InvalidNamespace, as FerretDB's handlers answer; command names the command in
// FerretDB's metrics), and any other error of the backend wrapped.
func namespaceError(err error, command, db, collection string) error {
	var msg string

	switch {
	case backends.ErrorCodeIs(err, backends.ErrorCodeDatabaseNameIsInvalid):
		msg = fmt.Sprintf("Invalid namespace specified '%s.%s'", db, collection)
	case backends.ErrorCodeIs(err, backends.ErrorCodeCollectionNameIsInvalid):
		msg = fmt.Sprintf("Invalid collection name: %s", collection)
	default:
		return lazyerrors.Error(err)
	}

	return handlererrors.NewCommandErrorMsgWithArgument(handlererrors.ErrInvalidNamespace, msg, command)
}
