import { mongo } from 'mongoose';
import { Readable } from 'node:stream';
import { BsonDocumentSplitter } from './bson-documents';

const { BSON } = mongo;

async function split(chunks: Buffer[]): Promise<Buffer[]> {
  const documents: Buffer[] = [];
  for await (const document of Readable.from(chunks).pipe(new BsonDocumentSplitter())) documents.push(document as Buffer);
  return documents;
}

describe('BsonDocumentSplitter', () => {
  const first = Buffer.from(BSON.serialize({ _id: 1, name: 'one' }));
  const second = Buffer.from(BSON.serialize({ _id: 2, data: new BSON.Binary(Buffer.from([0, 1, 2, 255])) }));
  const file = Buffer.concat([first, second]);

  it('yields each document of a concatenation', async () => {
    expect(await split([file])).toEqual([first, second]);
  });

  it('joins documents cut across chunks, even inside the length prefix', async () => {
    for (const cut of [1, 2, 3, first.length - 1, first.length, first.length + 2]) {
      expect(await split([file.subarray(0, cut), file.subarray(cut)])).toEqual([first, second]);
    }
    expect(await split([...file].map((byte) => Buffer.from([byte])))).toEqual([first, second]);
  });

  it('yields nothing for an empty file', async () => {
    expect(await split([])).toEqual([]);
  });

  it('rejects a truncated file and an impossible length', async () => {
    await expect(split([file.subarray(0, file.length - 3)])).rejects.toThrow(/trailing bytes/);
    await expect(split([Buffer.from([1, 0, 0, 0, 0])])).rejects.toThrow(/claims 1 bytes/);
  });
});
