import { mongo } from 'mongoose';
import { groupsOfEqual, IDS_PER_UPDATE, LISTS_PER_COMMAND, updateListed, updateListedInCommands } from './updates-by-id-list';

describe('groupsOfEqual', () => {
  it('groups items of equal values in the order each group first appears, telling a Date from its string', () => {
    const at = new Date('2026-12-02T08:00:00Z');
    const items = [
      { id: 'a', value: { at, n: 1 } },
      { id: 'b', value: { at: at.toISOString(), n: 1 } },
      { id: 'c', value: { at: new Date(at.getTime()), n: 1 } },
      { id: 'd', value: { at, n: 2 } },
    ];
    expect(groupsOfEqual(items, ({ value }) => value).map((group) => group.map(({ id }) => id))).toEqual([['a', 'c'], ['b'], ['d']]);
  });
});

describe('updateListed', () => {
  it('sends each id once, in lists of at most IDS_PER_UPDATE, and adds up what they modified', async () => {
    const ids = Array.from({ length: IDS_PER_UPDATE * 2 + 1 }, (_, index) => `id${index}`);
    const lists: string[][] = [];
    const modified = await updateListed([...ids, 'id0'], async (listed) => {
      lists.push(listed);
      return { modifiedCount: listed.length - 1 };
    });
    expect(lists.map((list) => list.length)).toEqual([IDS_PER_UPDATE, IDS_PER_UPDATE, 1]);
    expect(lists.flat()).toEqual(ids);
    expect(modified).toBe(ids.length - 3);
  });

  it('sends a list again once when a primary stepping down refused it (MongoDB 4.4+ labels only retryable writes, an updateMany is none)', async () => {
    const attempts: string[][] = [];
    const replies: Array<mongo.MongoError | number> = [steppedDown(10107), 2, steppedDown(11602), steppedDown(11602)];
    const update = async (listed: string[]) => {
      attempts.push(listed);
      const reply = replies.shift() ?? 0;
      if (reply instanceof Error) throw reply;
      return { modifiedCount: reply };
    };
    expect(await updateListed(['a', 'b'], update)).toBe(2);
    expect(attempts).toEqual([
      ['a', 'b'],
      ['a', 'b'],
    ]);
    await expect(updateListed(['c'], update)).rejects.toMatchObject({ code: 11602 });
    await expect(updateListed(['d'], async () => Promise.reject(new mongo.MongoServerError({ ok: 0, code: 2, errmsg: 'bad value' })))).rejects.toMatchObject({
      code: 2,
    });
  });

  it('sends a list the old primary refused as a statement again until the driver has learned of the stepdown (at most twice)', async () => {
    // The driver's updateMany throws writeErrors[0] of an ok: 1 reply; the node then refuses the resend as a whole.
    const refused = () => new mongo.MongoServerError({ index: 0, code: 189, errmsg: 'Not primary while writing to upgrade-manager.docs' } as never);
    const run = async (replies: Array<mongo.MongoError | number>) => {
      let attempts = 0;
      const update = async () => {
        attempts += 1;
        const reply = replies.shift() ?? 0;
        if (reply instanceof Error) throw reply;
        return { modifiedCount: reply };
      };
      return { modified: await updateListed(['a'], update).catch((error: Error) => error), attempts: () => attempts };
    };
    const learned = await run([refused(), steppedDown(10107), 1]);
    expect([learned.modified, learned.attempts()]).toEqual([1, 3]);
    const again = await run([refused(), refused(), 1]);
    expect([again.modified, again.attempts()]).toEqual([expect.objectContaining({ code: 189 }), 2]);
  });
});

/** What MongoDB 7 answers a write without a txnNumber on a node that is no longer primary: the code, no RetryableWriteError label. */
function steppedDown(code: number): mongo.MongoServerError {
  return new mongo.MongoServerError({
    ok: 0,
    code,
    errmsg: code === 10107 ? 'not primary' : 'operation was interrupted because of a replication state change',
  });
}

describe('updateListedInCommands', () => {
  // A collection whose database answers each command with the next reply (an Error is thrown).
  function fakeCollection(replies: Array<mongo.Document | Error>) {
    const commands: mongo.Document[] = [];
    const db = {
      command: async (command: mongo.Document) => {
        commands.push(structuredClone(command));
        const reply = replies.shift() ?? { ok: 1, n: 0, nModified: 0 };
        if (reply instanceof Error) throw reply;
        if (reply['writeConcernError']) throw new mongo.MongoWriteConcernError(reply as never);
        return reply;
      },
    };
    return { commands, target: { db: { db: db as unknown as mongo.Db }, collection: { collectionName: 'docs' } } };
  }
  const statementOf = (ids: string[]) => ({ q: { _id: { $in: ids }, n: { $lt: 1 } }, u: { $set: { n: 1 } } });
  const ids = Array.from({ length: IDS_PER_UPDATE * LISTS_PER_COMMAND + 1 }, (_, index) => `id${index}`);

  it('sends each id once, as ordered updateMany statements of IDS_PER_UPDATE ids, LISTS_PER_COMMAND to a command, and adds up what they modified', async () => {
    const { commands, target } = fakeCollection([
      { ok: 1, n: 1000, nModified: 990 },
      { ok: 1, n: 1, nModified: 1 },
    ]);
    expect(await updateListedInCommands(target, [...ids, 'id0'], statementOf)).toBe(991);
    expect(commands.map((command) => command['updates'].length)).toEqual([LISTS_PER_COMMAND, 1]);
    expect(commands[0]).toMatchObject({ update: 'docs', ordered: true });
    expect(commands.flatMap((command) => command['updates'])).toEqual(
      [...Array.from({ length: LISTS_PER_COMMAND }, (_, list) => ids.slice(list * IDS_PER_UPDATE, (list + 1) * IDS_PER_UPDATE)), [ids[ids.length - 1]]].map(
        (listed) => ({ ...statementOf(listed), multi: true }),
      ),
    );
  });

  it('throws the first statement the database refused, and sends no command after it', async () => {
    const { commands, target } = fakeCollection([{ ok: 1, n: 300, nModified: 300, writeErrors: [{ index: 3, code: 2, errmsg: 'bad' }] }]);
    await expect(updateListedInCommands(target, ids, statementOf)).rejects.toMatchObject({ message: 'bad', code: 2 });
    expect(commands).toHaveLength(1);
  });

  it('sends a statement refused because the primary is gone once more with those after it', async () => {
    const { commands, target } = fakeCollection([
      { ok: 1, n: 300, nModified: 300, writeErrors: [{ index: 3, code: 189, errmsg: 'Not primary while writing to upgrade-manager.docs' }] },
      { ok: 1, n: 700, nModified: 700 },
      { ok: 1, n: 1, nModified: 1 },
    ]);
    expect(await updateListedInCommands(target, ids, statementOf)).toBe(1001);
    expect(commands.map((command) => command['updates'].length)).toEqual([LISTS_PER_COMMAND, LISTS_PER_COMMAND - 3, 1]);
    expect(commands[1]['updates']).toEqual(commands[0]['updates'].slice(3));
  });

  it('sends a command that failed as a whole with a retryable error once more, and throws any other error', async () => {
    const retryable = () => {
      const error = new mongo.MongoNetworkError('connection reset');
      error.addErrorLabel('RetryableWriteError');
      return error;
    };
    const concern = { ok: 1, n: 1, writeConcernError: { code: 91, errmsg: 'shutting down' }, errorLabels: ['RetryableWriteError'] };
    const { commands, target } = fakeCollection([retryable(), { ok: 1, n: 1000, nModified: 1000 }, concern, { ok: 1, n: 1, nModified: 1 }]);
    expect(await updateListedInCommands(target, ids, statementOf)).toBe(1001);
    expect(commands).toHaveLength(4);
    const twice = fakeCollection([retryable(), retryable()]);
    await expect(updateListedInCommands(twice.target, ids, statementOf)).rejects.toThrow('connection reset');
    expect(twice.commands).toHaveLength(2);
    const stepDown = fakeCollection([steppedDown(10107), { ok: 1, n: 1000, nModified: 1000 }, { ok: 1, n: 1, nModified: 1 }]);
    expect(await updateListedInCommands(stepDown.target, ids, statementOf)).toBe(1001);
    expect(stepDown.commands).toHaveLength(3);
    // A write concern a shutting-down primary could not wait for, as MongoDB 7 answers a write without a txnNumber: no label.
    const shutdown = fakeCollection([
      { ok: 1, n: 1000, nModified: 1000, writeConcernError: { code: 91, errmsg: 'shutting down' } },
      { ok: 1, n: 1000, nModified: 0 },
    ]);
    expect(await updateListedInCommands(shutdown.target, ids.slice(0, 1000), statementOf)).toBe(0);
    expect(shutdown.commands).toHaveLength(2);
    const other = fakeCollection([new mongo.MongoNetworkError('connection reset')]);
    await expect(updateListedInCommands(other.target, ids, statementOf)).rejects.toThrow('connection reset');
    expect(other.commands).toHaveLength(1);
  });
});
