import { Logger } from '@nestjs/common';
import type { Model, mongo } from 'mongoose';
import type { Event } from './event.schema';
import { EventsService } from './events.service';

// A collection whose insert commands fail as a whole first (`failures` times), then write what they get.
function flakyEvents(failures: number) {
  const commands: mongo.Document[] = [];
  const stored = new Set<string>();
  const db = {
    command: async (command: mongo.Document) => {
      commands.push(command);
      if (commands.length <= failures) throw new Error('connection lost');
      const writeErrors: Array<{ index: number; code: number; errmsg: string }> = [];
      (command['documents'] as Array<{ _id: { toHexString(): string } }>).forEach((document, index) => {
        const id = document._id.toHexString();
        if (stored.has(id)) writeErrors.push({ index, code: 11000, errmsg: 'E11000 duplicate key' });
        stored.add(id);
      });
      return { ok: 1, n: command['documents'].length - writeErrors.length, writeErrors };
    },
  };
  const model = { db: { db }, collection: { collectionName: 'events' } } as unknown as Model<Event>;
  return { commands, stored, model };
}

describe('EventsService.recordMany', () => {
  const input = { type: 'software.deployed', companyId: '2', gatewayId: 'gw-1' } as const;

  afterEach(() => jest.restoreAllMocks());

  it('sends a command that failed as a whole once more, with the same _ids', async () => {
    const { commands, stored, model } = flakyEvents(1);
    const error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    await new EventsService(model).recordMany([input, { ...input, gatewayId: 'gw-2' }]);
    expect(commands).toHaveLength(2);
    expect(commands[1]['documents'].map((d: { _id: unknown }) => d._id)).toEqual(commands[0]['documents'].map((d: { _id: unknown }) => d._id));
    expect(stored.size).toBe(2);
    expect(error).not.toHaveBeenCalled();
  });

  it('logs, and does not throw, when the second try fails too', async () => {
    const { commands, model } = flakyEvents(2);
    const error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    await expect(new EventsService(model).recordMany([input])).resolves.toBeUndefined();
    expect(commands).toHaveLength(2);
    expect(error).toHaveBeenCalledWith(expect.stringContaining('Could not record 1 event(s) (software.deployed): connection lost'));
  });
});
