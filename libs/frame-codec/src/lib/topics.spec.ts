import {
  MAX_GATEWAY_ID_LENGTH,
  TOCLOUD_ALL_SUBSCRIPTION,
  TOCLOUD_SUBSCRIPTIONS,
  TO_CLOUD_MESSAGE_TYPES,
  TO_GATEWAY_MESSAGE_TYPES,
  ToCloudMessageType,
  ToGatewayMessageType,
  isValidGatewayId,
  parseTopic,
  toCloudTopic,
  toGatewaySubscriptions,
  toGatewayTopic,
} from './topics';

describe('message types', () => {
  it('are the eight of the protocol', () => {
    expect(TO_GATEWAY_MESSAGE_TYPES).toEqual(['UPGRADE', 'LATEST_VERSION', 'AVAILABLE_VERSIONS', 'DOWNLOAD_UPGRADE']);
    expect(TO_CLOUD_MESSAGE_TYPES).toEqual(['STATUS', 'REQUEST_LATEST_VERSION', 'REQUEST_AVAILABLE_VERSIONS', 'REQUEST_UPGRADE']);
  });
});

describe('topic builders', () => {
  it.each([
    [toGatewayTopic(ToGatewayMessageType.Upgrade), 'TOGATEWAY/UPGRADE'],
    [toGatewayTopic(ToGatewayMessageType.Upgrade, 'gw-1'), 'TOGATEWAY/UPGRADE/gw-1'],
    [toGatewayTopic(ToGatewayMessageType.LatestVersion), 'TOGATEWAY/LATEST_VERSION'],
    [toGatewayTopic(ToGatewayMessageType.AvailableVersions, 'gw-1'), 'TOGATEWAY/AVAILABLE_VERSIONS/gw-1'],
    [toGatewayTopic(ToGatewayMessageType.DownloadUpgrade, 'gw-1'), 'TOGATEWAY/DOWNLOAD_UPGRADE/gw-1'],
    [toCloudTopic(ToCloudMessageType.Status, 'gw-1'), 'TOCLOUD/STATUS/gw-1'],
    [toCloudTopic(ToCloudMessageType.RequestLatestVersion, 'gw-1'), 'TOCLOUD/REQUEST_LATEST_VERSION/gw-1'],
    [toCloudTopic(ToCloudMessageType.RequestAvailableVersions, 'gw-1'), 'TOCLOUD/REQUEST_AVAILABLE_VERSIONS/gw-1'],
    [toCloudTopic(ToCloudMessageType.RequestUpgrade, 'gw-1'), 'TOCLOUD/REQUEST_UPGRADE/gw-1'],
  ])('builds %p', (built, expected) => {
    expect(built).toBe(expected);
  });

  it.each(['', 'a/b', 'gw+', 'gw#', 'a\u0000b', 'x'.repeat(MAX_GATEWAY_ID_LENGTH + 1)])('refuses gatewayId %p', (gatewayId) => {
    expect(() => toGatewayTopic(ToGatewayMessageType.Upgrade, gatewayId)).toThrow(RangeError);
    expect(() => toCloudTopic(ToCloudMessageType.Status, gatewayId)).toThrow(RangeError);
  });

  it('builds what parseTopic reads back, for every type', () => {
    for (const type of TO_GATEWAY_MESSAGE_TYPES) {
      expect(parseTopic(toGatewayTopic(type))).toEqual({ direction: 'toGateway', type, gatewayId: null });
      expect(parseTopic(toGatewayTopic(type, 'g'))).toEqual({ direction: 'toGateway', type, gatewayId: 'g' });
    }
    for (const type of TO_CLOUD_MESSAGE_TYPES) {
      expect(parseTopic(toCloudTopic(type, 'g'))).toEqual({ direction: 'toCloud', type, gatewayId: 'g' });
    }
  });
});

describe('parseTopic', () => {
  it.each([
    ['TOCLOUD/STATUS/gw-1', { direction: 'toCloud', type: 'STATUS', gatewayId: 'gw-1' }],
    ['TOCLOUD/REQUEST_UPGRADE/00:11:22:33', { direction: 'toCloud', type: 'REQUEST_UPGRADE', gatewayId: '00:11:22:33' }],
    ['TOCLOUD/STATUS/$gateway', { direction: 'toCloud', type: 'STATUS', gatewayId: '$gateway' }],
    ['TOCLOUD/STATUS/Gateway One', { direction: 'toCloud', type: 'STATUS', gatewayId: 'Gateway One' }],
    ['TOGATEWAY/UPGRADE', { direction: 'toGateway', type: 'UPGRADE', gatewayId: null }],
    ['TOGATEWAY/DOWNLOAD_UPGRADE/gw-1', { direction: 'toGateway', type: 'DOWNLOAD_UPGRADE', gatewayId: 'gw-1' }],
  ])('reads %p', (topic, expected) => {
    expect(parseTopic(topic)).toEqual(expected);
  });

  it.each([
    '',
    'TOCLOUD',
    'TOCLOUD/STATUS', // gateway → cloud is never broadcast
    'TOCLOUD/STATUS/', // empty gatewayId
    'TOCLOUD/STATUS/a/b',
    'TOCLOUD/STATUS/+',
    'TOCLOUD/STATUS/#',
    'TOCLOUD/STATUS/gw+1',
    'TOCLOUD/UPGRADE/gw-1', // a cloud → gateway type under the cloud prefix
    'TOGATEWAY/STATUS/gw-1', // and the reverse
    'TOGATEWAY/UPGRADE/',
    'TOGATEWAY/UPGRADE/gw/extra',
    'tocloud/STATUS/gw-1', // case-sensitive
    'TOCLOUD/status/gw-1',
    'TOCLOUD/Status/gw-1',
    '/TOCLOUD/STATUS/gw-1',
    'TOCLOUD//gw-1',
    'TOCLOUD/STATUS /gw-1',
    '$SYS/broker/uptime',
    'TOCLOUD/__proto__/gw-1',
    'TOCLOUD/constructor/gw-1',
  ])('ignores %p', (topic) => {
    expect(parseTopic(topic)).toBeNull();
  });
});

describe('subscriptions', () => {
  it('covers every gateway → cloud message for the cloud', () => {
    expect(Object.values(TOCLOUD_SUBSCRIPTIONS)).toEqual([
      'TOCLOUD/STATUS/+',
      'TOCLOUD/REQUEST_LATEST_VERSION/+',
      'TOCLOUD/REQUEST_AVAILABLE_VERSIONS/+',
      'TOCLOUD/REQUEST_UPGRADE/+',
    ]);
    expect(TOCLOUD_ALL_SUBSCRIPTION).toBe('TOCLOUD/+/+');
  });

  it('gives a gateway its broadcast and own topics', () => {
    expect(toGatewaySubscriptions('gw-1')).toEqual(['TOGATEWAY/+', 'TOGATEWAY/+/gw-1']);
    expect(() => toGatewaySubscriptions('#')).toThrow(RangeError);
  });
});

describe('isValidGatewayId', () => {
  it('accepts the longest allowed id and rejects one more', () => {
    expect(isValidGatewayId('x'.repeat(MAX_GATEWAY_ID_LENGTH))).toBe(true);
    expect(isValidGatewayId('x'.repeat(MAX_GATEWAY_ID_LENGTH + 1))).toBe(false);
  });
});
