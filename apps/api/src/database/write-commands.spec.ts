import { mongo } from 'mongoose';
import { tolerantBulkWrite } from './tolerant-bulk-write';
import { commandBulkWriter, DOCUMENTS_PER_INSERT, insertCommand } from './write-commands';

function fakeCollection(replies: mongo.Document[], writeConcern?: mongo.WriteConcern) {
  const commands: mongo.Document[] = [];
  const db = {
    writeConcern,
    command: async (command: mongo.Document) => {
      commands.push(structuredClone(command));
      const reply = replies.shift() ?? { ok: 1, n: 0 };
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
});
