import { ApiProperty } from '@nestjs/swagger';

export const GATEWAY_CREDENTIAL_STATES = ['none', 'active', 'revoked'] as const;
export type GatewayCredentialState = (typeof GATEWAY_CREDENTIAL_STATES)[number];

/** What `gateway.modified` events record in `details.credentials`. */
export const GATEWAY_CREDENTIAL_CHANGES = ['issued', 'rotated', 'revoked'] as const;
export type GatewayCredentialChange = (typeof GATEWAY_CREDENTIAL_CHANGES)[number];

/** A gateway's own broker account, without its secret (the secret is shown once, when issued). */
export class GatewayCredentialStatusDto {
  @ApiProperty() gatewayId!: string;
  @ApiProperty({ description: 'Broker user name: the gatewayId, which is also the MQTT client id it must use' })
  username!: string;
  @ApiProperty({ enum: GATEWAY_CREDENTIAL_STATES, description: 'none: never issued; the gateway logs in with the shared account' })
  state!: GatewayCredentialState;
  @ApiProperty({ type: String, nullable: true, description: 'ISO time of the first issue (after a revocation: of the new issue)' })
  issuedAt!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'ISO time of the last rotation' })
  rotatedAt!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'ISO time of the revocation' })
  revokedAt!: string | null;
}

/** The answer to issuing or rotating: the only time the password is ever shown. */
export class GatewayCredentialsDto extends GatewayCredentialStatusDto {
  @ApiProperty({ description: 'The new password; not stored by the server and not shown again' })
  password!: string;
  @ApiProperty({ enum: ['issued', 'rotated'] })
  change!: Exclude<GatewayCredentialChange, 'revoked'>;
}
