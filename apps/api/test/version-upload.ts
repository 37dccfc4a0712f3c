import type { INestApplication } from '@nestjs/common';
import { getConnectionToken } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { IMAGE_BUCKET } from '../src/versions/image-storage.service';

/** Posts the multipart parts in the given order: strings as fields, Buffers as the file `image.bin`. */
export async function postVersionForm(baseUrl: string, fields: Array<[string, string | Buffer]>): Promise<Response> {
  const form = new FormData();
  for (const [name, value] of fields) {
    if (typeof value === 'string') form.append(name, value);
    else form.append(name, new Blob([value]), 'image.bin');
  }
  return fetch(`${baseUrl}/api/versions`, { method: 'POST', body: form });
}

/** How many image files and chunks GridFS holds in the test API's database. */
export async function gridFsCounts(app: INestApplication): Promise<{ files: number; chunks: number }> {
  const db = app.get<Connection>(getConnectionToken()).db;
  if (!db) throw new Error('not connected');
  return {
    files: await db.collection(`${IMAGE_BUCKET}.files`).countDocuments(),
    chunks: await db.collection(`${IMAGE_BUCKET}.chunks`).countDocuments(),
  };
}
