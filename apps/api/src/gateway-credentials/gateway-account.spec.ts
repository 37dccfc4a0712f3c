import { createAccountCommands, deleteAccountCommands, gatewayRoleAcls, gatewayRoleName } from './gateway-account';

describe('gateway account (dynamic-security commands)', () => {
  it('allows exactly the own topics of SPEC §1 and denies every other topic explicitly', () => {
    const acls = gatewayRoleAcls('gw-7');
    const allowed = acls.filter((acl) => acl.allow).map((acl) => [acl.acltype, acl.topic]);
    expect(allowed).toEqual([
      ['publishClientSend', 'TOCLOUD/+/gw-7'],
      ['subscribePattern', 'TOGATEWAY/+'],
      ['subscribePattern', 'TOGATEWAY/+/gw-7'],
      ['subscribePattern', 'TOGATEWAY/UPGRADE_CHUNK_SHARED/+'],
      ['publishClientReceive', 'TOGATEWAY/+'],
      ['publishClientReceive', 'TOGATEWAY/+/gw-7'],
      ['publishClientReceive', 'TOGATEWAY/UPGRADE_CHUNK_SHARED/+'],
    ]);
    const denied = acls.filter((acl) => !acl.allow);
    expect(denied.map((acl) => [acl.acltype, acl.topic])).toEqual([
      ['publishClientSend', '#'],
      ['subscribePattern', '#'],
      ['publishClientReceive', '#'],
    ]);
    // Allow rules are checked first: a higher priority wins in the plugin.
    const lowestAllow = Math.min(...acls.filter((acl) => acl.allow).map((acl) => acl.priority));
    expect(denied.every((acl) => acl.priority < lowestAllow)).toBe(true);
  });

  it('refuses ids that would change the meaning of a topic filter', () => {
    for (const id of ['a/b', 'a+', '#', '']) expect(() => gatewayRoleAcls(id)).toThrow(RangeError);
  });

  it('creates the account after removing leftovers, bound to the gateway id as user name and client id', () => {
    const commands = createAccountCommands('gw-7', 'co-2', 'secret');
    expect(commands.map((command) => command.command)).toEqual(['deleteClient', 'deleteRole', 'createRole', 'createClient']);
    expect(commands[3]).toMatchObject({ username: 'gw-7', clientid: 'gw-7', password: 'secret', roles: [{ rolename: gatewayRoleName('gw-7') }] });
    expect(commands[2]).toMatchObject({ rolename: gatewayRoleName('gw-7'), acls: gatewayRoleAcls('gw-7') });
    expect(deleteAccountCommands('gw-7')).toEqual([
      { command: 'deleteClient', username: 'gw-7' },
      { command: 'deleteRole', rolename: 'gateway:gw-7' },
    ]);
  });
});
