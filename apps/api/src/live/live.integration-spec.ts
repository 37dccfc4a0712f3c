import { request as httpRequest, type IncomingMessage } from 'node:http';
import { eventually, startTestApi, type TestApi } from '../../test/test-api';
import { LiveEventsService } from './live-events.service';

describe('GET /api/stream (development mode)', () => {
  let api: TestApi;
  let response: IncomingMessage | undefined;
  let body = '';

  beforeAll(async () => {
    api = await startTestApi({ AUTH_MODE: 'none' });
  });

  afterAll(async () => {
    response?.destroy();
    await api.close();
  });

  it('streams live events as server-sent events', async () => {
    response = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = httpRequest(`${api.baseUrl}/api/stream`, { headers: { accept: 'text/event-stream' } }, resolve);
      req.on('error', reject);
      req.end();
    });
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => (body += chunk));
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/event-stream');
    await eventually(async () => expect(body).toContain(': connected'));

    api.app.get(LiveEventsService).publish({ type: 'version.removed', companyId: null, data: { version: '9.9', latest: null } });
    await eventually(async () => expect(body).toContain('data: {"type":"version.removed","companyId":null,"data":{"version":"9.9","latest":null}}'));
  });
});
