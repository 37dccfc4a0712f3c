import type { IncomingMessage } from 'node:http';
import { openEventStream } from '../../test/protocol-helpers';
import { eventually, startTestApi, type TestApi } from '../../test/test-api';
import { LiveEventsService } from './live-events.service';

describe('GET /api/stream (development mode)', () => {
  let api: TestApi;
  let response: IncomingMessage | undefined;

  beforeAll(async () => {
    api = await startTestApi({ AUTH_MODE: 'none' });
  });

  afterAll(async () => {
    response?.destroy();
    await api.close();
  });

  it('streams live events as server-sent events', async () => {
    const stream = await openEventStream(api.baseUrl);
    response = stream.response;
    const body = stream.received;
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/event-stream');
    await eventually(async () => expect(body()).toContain(': connected'));

    api.app.get(LiveEventsService).publish({ type: 'version.removed', companyId: null, data: { version: '9.9', latest: null } });
    await eventually(async () => expect(body()).toContain('data: {"type":"version.removed","companyId":null,"data":{"version":"9.9","latest":null}}'));
  });
});
