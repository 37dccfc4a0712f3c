import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { ApiClient, ApiRequestError, multipartBody } from './api-client';

describe('multipartBody', () => {
  it('puts the fields before the file and keeps the bytes as they are', () => {
    const content = Buffer.from([0, 255, 13, 10, 45, 45]);
    const { body, contentType } = multipartBody({ version: '2.0' }, { name: 'file', filename: 'x.bin', content });
    const boundary = /boundary=(.+)$/.exec(contentType)?.[1] ?? '';
    expect(boundary).toMatch(/^----bench[0-9a-f]{24}$/);
    const text = body.toString('latin1');
    expect(text.indexOf('name="version"')).toBeLessThan(text.indexOf('name="file"'));
    const start = body.indexOf('\r\n\r\n', body.indexOf('name="file"')) + 4;
    expect(body.subarray(start, start + content.length).equals(content)).toBe(true);
    expect(text.endsWith(`\r\n--${boundary}--\r\n`)).toBe(true);
  });
});

describe('ApiClient', () => {
  let server: Server;
  let baseUrl: string;
  // Requests seen per socket. 'reused': a second request on a kept-alive socket gets the socket
  // closed, as a server closing idle sockets does; 'all': every request does.
  const served = new Map<Socket, number>();
  let closes: 'reused' | 'all' = 'reused';
  let requests = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      requests++;
      const count = (served.get(req.socket) ?? 0) + 1;
      served.set(req.socket, count);
      if (closes === 'all' || count > 1) return void req.socket.destroy();
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ id: 'r1' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(async () => {
    // No kept-alive socket of an earlier test is left in Node's global agent.
    server.closeAllConnections();
    // Until the server has no connection left, then a little longer for the client to see them closed (a loaded machine is slow at both).
    while ((await new Promise<number>((resolve) => server.getConnections((_error, count) => resolve(count)))) > 0) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    served.clear();
    requests = 0;
    closes = 'reused';
  });

  it('sends a request once more on a new socket when the kept-alive one was closed under it', async () => {
    const api = new ApiClient(baseUrl);
    await api.getRollout('r1');
    await expect(api.getRollout('r1')).resolves.toMatchObject({ id: 'r1' });
    expect(requests).toBe(3);
  });

  it('sends it only once more', async () => {
    const api = new ApiClient(baseUrl);
    await api.getRollout('r1');
    closes = 'all';
    await expect(api.getRollout('r1')).rejects.toThrow(ApiRequestError);
    expect(requests).toBe(3);
  });

  it('sends a metrics request once more too', async () => {
    const api = new ApiClient(baseUrl);
    await api.metricSum('um_any_total');
    await expect(api.metricSum('um_any_total')).resolves.toBe(0);
    expect(requests).toBe(3);
  });

  it('does not send again a request whose socket was new', async () => {
    closes = 'all';
    await expect(new ApiClient(baseUrl).getRollout('r1')).rejects.toThrow(ApiRequestError);
    expect(requests).toBe(1);
  });
});

describe('ApiClient.metricSum', () => {
  let server: Server;
  let baseUrl: string;
  let asked: string | null = null;

  beforeAll(async () => {
    server = createServer((req, res) => {
      asked = req.url ?? null;
      res.setHeader('content-type', 'text/plain');
      res.end(
        [
          '# HELP um_deployment_target_transitions_total Deployment targets leaving pending',
          '# TYPE um_deployment_target_transitions_total counter',
          'um_deployment_target_transitions_total{status="confirmed",reason="none"} 998',
          'um_deployment_target_transitions_total{status="failed",reason="timeout"} 2',
          'um_deployment_target_transitions_total_other 50',
          'um_gateway_messages_total{type="STATUS"} 7',
          '',
        ].join('\n'),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('adds up every sample of the metric, whatever its labels, and asks for that metric only', async () => {
    await expect(new ApiClient(baseUrl).metricSum('um_deployment_target_transitions_total')).resolves.toBe(1000);
    expect(asked).toBe('/metrics?name=um_deployment_target_transitions_total');
  });

  it('is 0 for a metric without samples', async () => {
    await expect(new ApiClient(baseUrl).metricSum('um_unknown_total')).resolves.toBe(0);
  });
});
