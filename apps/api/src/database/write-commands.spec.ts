import { mongo } from 'mongoose';
import { insertOnce } from './insert-once';
import { tolerantBulkWrite } from './tolerant-bulk-write';
import { commandBulkWriter, DOCUMENTS_PER_INSERT, insertCommand, updateCommand } from './write-commands';

// Each command is answered with the next reply (an Error is thrown).
function fakeCollection(replies: Array<mongo.Document | Error>, writeConcern?: mongo.WriteConcern) {
  const commands: mongo.Document[] = [];
  const db = {
    writeConcern,
    command: async (command: mongo.Document) => {
      commands.push(structuredClone(command));
      const reply = replies.shift() ?? { ok: 1, n: 0 };
      if (reply instanceof Error) throw reply;
      // As the driver's Server.command does: a reply with a writeConcernError is thrown, its fields (writeErrors too) copied onto the error.
      if (reply['writeConcernError']) throw new mongo.MongoWriteConcernError(reply as never);
      return reply;
    },
  };
  return { commands, target: { db: { db: db as unknown as mongo.Db }, collection: { collectionName: 'docs' } } };
}

describe('write commands', () => {
  it('leaves out the upsert field of an update that has none (MongoDB refuses a null one)', async () => {
    const { commands, target } = fakeCollection([{ ok: 1, n: 1 }]);
    await commandBulkWriter(target).bulkWrite([{ updateOne: { filter: { _id: 'a' }, update: { $set: { n: 1 } } } }]);
    expect(Object.keys(commands[0]['updates'][0])).toEqual(['q', 'u']);
  });

  it('sends a chunk of upserts as one update command and names the upserted ids by position', async () => {
    const { commands, target } = fakeCollection([{ ok: 1, n: 2, nModified: 1, upserted: [{ index: 1, _id: 'b' }] }], new mongo.WriteConcern('majority'));
    const result = await commandBulkWriter(target).bulkWrite(
      ['a', 'b'].map((_id) => ({ updateOne: { filter: { _id }, update: { $set: { n: 1 } }, upsert: true } })),
    );
    expect(result).toEqual({ upsertedIds: { 1: 'b' } });
    expect(commands).toEqual([
      {
        update: 'docs',
        updates: [
          { q: { _id: 'a' }, u: { $set: { n: 1 } }, upsert: true },
          { q: { _id: 'b' }, u: { $set: { n: 1 } }, upsert: true },
        ],
        ordered: false,
        writeConcern: { w: 'majority' },
      },
    ]);
  });

  it('throws refused statements as the driver does, with what the command wrote', async () => {
    const { target } = fakeCollection([
      { ok: 1, n: 2, upserted: [{ index: 0, _id: 'a' }], writeErrors: [{ index: 2, code: 11000, errmsg: 'E11000' }] },
      { ok: 1, n: 1, writeErrors: [{ index: 0, code: 11000, errmsg: 'E11000' }] },
    ]);
    const writer = commandBulkWriter(target);
    await expect(
      writer.bulkWrite(['a', 'b', 'c'].map((_id) => ({ updateOne: { filter: { _id }, update: { $set: { n: 1 } }, upsert: true } }))),
    ).rejects.toMatchObject({
      code: 11000,
      writeErrors: [{ index: 2, code: 11000, errmsg: 'E11000' }],
      result: { upsertedIds: { 0: 'a' }, insertedCount: 0, matchedCount: 1, upsertedCount: 1 },
    });
    await expect(writer.bulkWrite(['a', 'b'].map((_id) => ({ insertOne: { document: { _id } } })))).rejects.toMatchObject({
      writeErrors: [{ index: 0, code: 11000 }],
      result: { upsertedIds: {}, insertedCount: 1, matchedCount: 0, upsertedCount: 0 },
    });
  });

  it('throws a write concern the database did not meet, for the caller to retry the chunk', async () => {
    const { target } = fakeCollection([{ ok: 1, n: 1, writeConcernError: { code: 91, errmsg: 'shutting down' } }]);
    await expect(insertCommand(target, [{ _id: 'a' }])).rejects.toThrow('shutting down');
  });

  it('throws a write concern not met with refused statements as a failed chunk, not as the refusal of those statements', async () => {
    const { commands, target } = fakeCollection([
      {
        ok: 1,
        n: 2,
        upserted: [{ index: 0, _id: 'a' }],
        writeErrors: [{ index: 1, code: 11000, errmsg: 'E11000' }],
        writeConcernError: { code: 64, errmsg: 'waiting for replication timed out' },
      },
    ]);
    const upserts = ['a', 'b', 'c'].map((_id) => ({ updateOne: { filter: { _id }, update: { $set: { n: 1 } }, upsert: true } }));
    await expect(tolerantBulkWrite(commandBulkWriter(target), upserts)).rejects.toThrow('waiting for replication timed out');
    expect(commands).toHaveLength(1);
  });

  it('inserts in commands of DOCUMENTS_PER_INSERT and names refused documents by their index in the whole list', async () => {
    const { commands, target } = fakeCollection([
      { ok: 1, n: DOCUMENTS_PER_INSERT },
      { ok: 1, n: 1, writeErrors: [{ index: 1, code: 11000 }] },
    ]);
    const documents = Array.from({ length: DOCUMENTS_PER_INSERT + 2 }, (_, i) => ({ _id: i }));
    const result = await insertCommand(target, documents);
    expect(commands.map((command) => command['documents'].length)).toEqual([DOCUMENTS_PER_INSERT, 2]);
    expect(result).toEqual({ n: DOCUMENTS_PER_INSERT + 1, nModified: 0, upserted: [], writeErrors: [{ index: DOCUMENTS_PER_INSERT + 1, code: 11000 }] });
  });

  it('sends nothing for nothing', async () => {
    const { commands, target } = fakeCollection([]);
    expect(await commandBulkWriter(target).bulkWrite([])).toEqual({ upsertedIds: {} });
    expect(await insertCommand(target, [])).toEqual({ n: 0, nModified: 0, upserted: [], writeErrors: [] });
    expect(commands).toEqual([]);
  });

  describe('statements refused because the primary is gone (ok: 1, the code in writeErrors)', () => {
    // What MongoDB 7 answers for each statement of a write that took its locks after a stepdown.
    const steppedDown = (index: number, code = 189) => ({ index, code, errmsg: 'Not primary while writing to upgrade-manager.docs' });
    const upserts = ['a', 'b', 'c'].map((_id) => ({ updateOne: { filter: { _id, n: { $lt: 1 } }, update: { $set: { n: 1 } }, upsert: true } }));

    it('sends the refused statements of an unordered command once more and reports the result as one', async () => {
      const { commands, target } = fakeCollection([
        { ok: 1, n: 1, upserted: [{ index: 0, _id: 'a' }], writeErrors: [steppedDown(1), steppedDown(2, 10107)] },
        { ok: 1, n: 2, upserted: [{ index: 1, _id: 'c' }] },
      ]);
      expect(await tolerantBulkWrite(commandBulkWriter(target), upserts)).toEqual({ upsertedIds: { 0: 'a', 2: 'c' }, rejected: [] });
      expect(commands.map((command) => command['updates'].map(({ q }: { q: { _id: string } }) => q._id))).toEqual([
        ['a', 'b', 'c'],
        ['b', 'c'],
      ]);
      expect(commands[1]).toMatchObject({ update: 'docs', ordered: false });
    });

    it('sends the refused statement of an ordered command once more with those after it, naming what is refused by its first index', async () => {
      const statements = ['a', 'b', 'c', 'd'].map((_id) => ({ q: { _id }, u: { $set: { n: 1 } }, multi: true }));
      const { commands, target } = fakeCollection([
        { ok: 1, n: 1, nModified: 1, writeErrors: [steppedDown(1, 11602)] },
        { ok: 1, n: 1, nModified: 1, writeErrors: [{ index: 1, code: 2, errmsg: 'bad' }] },
      ]);
      expect(await updateCommand(target, statements, { ordered: true })).toEqual({
        n: 2,
        nModified: 2,
        upserted: [],
        writeErrors: [{ index: 2, code: 2, errmsg: 'bad' }],
      });
      expect(commands[1]).toMatchObject({ ordered: true, updates: statements.slice(1) });
    });

    it('sends them once more again when the old primary refuses the resend as a whole (only that tells the driver)', async () => {
      const notPrimary = new mongo.MongoServerError({ ok: 0, code: 10107, errmsg: 'not primary' });
      const { commands, target } = fakeCollection([{ ok: 1, n: 0, writeErrors: [steppedDown(0)] }, notPrimary, { ok: 1, n: 1 }]);
      expect(await insertCommand(target, [{ _id: 'a' }])).toEqual({ n: 1, nModified: 0, upserted: [], writeErrors: [] });
      expect(commands).toHaveLength(3);
      const twice = fakeCollection([{ ok: 1, n: 0, writeErrors: [steppedDown(0)] }, notPrimary, notPrimary]);
      await expect(insertCommand(twice.target, [{ _id: 'a' }])).rejects.toThrow('not primary');
    });

    it('sends nothing again for other codes, nor a statement refused again', async () => {
      for (const code of [11000, 2, 121]) {
        const { commands, target } = fakeCollection([{ ok: 1, n: 2, writeErrors: [{ index: 1, code }] }]);
        expect((await insertCommand(target, [{ _id: 'a' }, { _id: 'b' }, { _id: 'c' }])).writeErrors).toEqual([{ index: 1, code }]);
        expect(commands).toHaveLength(1);
      }
      const { commands, target } = fakeCollection([
        { ok: 1, n: 1, writeErrors: [steppedDown(1)] },
        { ok: 1, n: 0, writeErrors: [steppedDown(0)] },
      ]);
      expect((await insertCommand(target, [{ _id: 'a' }, { _id: 'b' }])).writeErrors).toEqual([steppedDown(1)]);
      expect(commands).toHaveLength(2);
    });

    it('counts a resent insert refused for a duplicate key as there, not as a failure', async () => {
      const { commands, target } = fakeCollection([
        { ok: 1, n: 0, writeErrors: [steppedDown(0), steppedDown(1)] },
        { ok: 1, n: 1, writeErrors: [{ index: 0, code: 11000, errmsg: 'E11000' }] },
      ]);
      expect([...(await insertOnce(target, [{ _id: 'a' }, { _id: 'b' }]))]).toEqual([0]);
      expect(commands[1]['documents']).toEqual([{ _id: 'a' }, { _id: 'b' }]);
    });
  });
});
