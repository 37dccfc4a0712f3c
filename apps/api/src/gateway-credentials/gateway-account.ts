import { TOCLOUD_PREFIX, toGatewaySubscriptions } from '@upgrade-manager/frame-codec';
import { SHARED_CHUNK_SUBSCRIPTION } from '@upgrade-manager/protocol-v2';
import type { DynsecCommand } from './dynsec-control.client';

export function gatewayRoleName(gatewayId: string): string {
  return `gateway:${gatewayId}`;
}

/**
 * The role of one gateway's own account: publish `TOCLOUD/<message>/<id>`, subscribe to and
 * receive `TOGATEWAY/<message>` and `TOGATEWAY/<message>/<id>`. Everything else is denied by an
 * explicit rule: the plugin would otherwise defer to the ACL file, which allows any subscription.
 * Protocol v2 adds the shared chunk streams `TOGATEWAY/UPGRADE_CHUNK_SHARED/<sha256>`: images are
 * global (every gateway may request any version), so every gateway may hear them.
 * Receive rules matter as much as subscribe rules, because a session taken over from the shared
 * account keeps its old subscriptions.
 */
export function gatewayRoleAcls(gatewayId: string): DynsecAcl[] {
  const allow = (acltype: DynsecAclType, topic: string): DynsecAcl => ({ acltype, topic, priority: 1, allow: true });
  const denyRest = (acltype: DynsecAclType): DynsecAcl => ({ acltype, topic: '#', priority: 0, allow: false });
  // The same filters the gateway subscribes with (they throw on an id unusable in a topic).
  const [broadcast, own] = toGatewaySubscriptions(gatewayId);
  return [
    allow('publishClientSend', `${TOCLOUD_PREFIX}/+/${gatewayId}`),
    denyRest('publishClientSend'),
    allow('subscribePattern', broadcast),
    allow('subscribePattern', own),
    allow('subscribePattern', SHARED_CHUNK_SUBSCRIPTION),
    denyRest('subscribePattern'),
    allow('publishClientReceive', broadcast),
    allow('publishClientReceive', own),
    allow('publishClientReceive', SHARED_CHUNK_SUBSCRIPTION),
    denyRest('publishClientReceive'),
  ];
}

/** Removes a gateway's account and role; "not found" answers are expected and harmless. */
export function deleteAccountCommands(gatewayId: string): DynsecCommand[] {
  return [
    { command: 'deleteClient', username: gatewayId },
    { command: 'deleteRole', rolename: gatewayRoleName(gatewayId) },
  ];
}

/**
 * Creates a gateway's account from scratch (after removing any leftover): user name and client id
 * are both the gatewayId, so the account can only be used under the gateway's own client id.
 */
export function createAccountCommands(gatewayId: string, companyId: string, password: string): DynsecCommand[] {
  const rolename = gatewayRoleName(gatewayId);
  return [
    ...deleteAccountCommands(gatewayId),
    { command: 'createRole', rolename, textname: `Topics of gateway ${gatewayId}`, acls: gatewayRoleAcls(gatewayId) },
    {
      command: 'createClient',
      username: gatewayId,
      clientid: gatewayId,
      password,
      textname: `Gateway ${gatewayId} of company ${companyId}`,
      roles: [{ rolename, priority: 0 }],
    },
  ];
}

export type DynsecAclType = 'publishClientSend' | 'publishClientReceive' | 'subscribePattern' | 'subscribeLiteral' | 'unsubscribePattern';

export interface DynsecAcl {
  acltype: DynsecAclType;
  topic: string;
  priority: number;
  allow: boolean;
}
