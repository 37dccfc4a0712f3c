import { fillPath, type ResponseOf, type Schema, typedApi, type Transport } from './typed-api';

function recordingApi(answer: unknown = {}) {
  const calls: Array<Parameters<Transport>> = [];
  const request = typedApi(async (...args) => {
    calls.push(args);
    return answer;
  });
  return { request, calls };
}

describe('typedApi', () => {
  it('fills path parameters and hands method, query and body to the transport', async () => {
    const { request, calls } = recordingApi();
    await request('patch', '/api/gateways/{gatewayId}', { path: { gatewayId: 'gw 1/2' }, body: { name: 'Roof' } });
    await request('get', '/api/gateways', { query: { companyId: '2', online: true } });
    await request('get', '/api/versions');
    expect(calls).toEqual([
      ['PATCH', '/api/gateways/gw%201%2F2', { query: undefined, body: { name: 'Roof' }, signal: undefined }],
      ['GET', '/api/gateways', { query: { companyId: '2', online: true }, body: undefined, signal: undefined }],
      ['GET', '/api/versions', { query: undefined, body: undefined, signal: undefined }],
    ]);
  });

  it('types calls by the OpenAPI document', async () => {
    const { request } = recordingApi({ items: [], total: 0 });
    const versions: Schema<'VersionListDto'> = await request('get', '/api/versions');
    expect(versions.total).toBe(0);
    const deleted: ResponseOf<'delete', '/api/versions/{version}'> = undefined;
    expect(deleted).toBeUndefined();
    // Compile-time checks, never run: `npx nx run api-client:typecheck` fails when one of these is accepted.
    const compileOnly = () => {
      // @ts-expect-error a path the API does not have
      void request('get', '/api/nope');
      // @ts-expect-error the body of a deployment is required
      void request('post', '/api/deployments');
      // @ts-expect-error an upgrade status the API does not know
      void request('get', '/api/gateways', { query: { upgradeStatus: 'done' } });
      // @ts-expect-error the gateway id is missing
      void request('get', '/api/gateways/{gatewayId}', {});
    };
    expect(compileOnly).toBeInstanceOf(Function);
  });
});

describe('fillPath', () => {
  it('refuses a missing parameter', () => {
    expect(() => fillPath('/api/users/{id}', {})).toThrow('Path parameter "id" of /api/users/{id} is missing');
  });
});
