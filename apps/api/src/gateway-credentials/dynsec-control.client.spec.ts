import { responsesFor } from './dynsec-control.client';

const message = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));

describe('responsesFor', () => {
  it('returns the responses of the request in command order', () => {
    const payload = message({
      responses: [
        { command: 'createClient', correlationData: 'req-1:1' },
        { command: 'deleteClient', error: 'Client not found', correlationData: 'req-1:0' },
      ],
    });
    expect(responsesFor('req-1', payload)?.map((response) => response.command)).toEqual(['deleteClient', 'createClient']);
  });

  it("ignores other requests' answers and anything that is not an answer", () => {
    expect(responsesFor('req-1', message({ responses: [{ command: 'x', correlationData: 'req-2:0' }] }))).toBeNull();
    expect(responsesFor('req-1', message({ responses: [{ command: 'Unknown command', error: 'Payload not valid JSON' }] }))).toBeNull();
    expect(responsesFor('req-1', message({ responses: [] }))).toBeNull();
    expect(responsesFor('req-1', message('not json'))).toBeNull();
    expect(responsesFor('req-1', message('null'))).toBeNull();
  });
});
