import { Injectable } from '@nestjs/common';
import * as argon2 from 'argon2';

/** argon2id hashing. Verifying an unknown account costs as much as a known one, so timing tells nothing. */
@Injectable()
export class PasswordHasher {
  private dummyHash: Promise<string> | null = null;

  hash(password: string): Promise<string> {
    return argon2.hash(password, { type: argon2.argon2id });
  }

  async verify(hash: string | null | undefined, password: string): Promise<boolean> {
    if (!hash) {
      this.dummyHash ??= argon2.hash('not-a-password', { type: argon2.argon2id });
      await argon2.verify(await this.dummyHash, password).catch(() => false);
      return false;
    }
    return argon2.verify(hash, password).catch(() => false);
  }
}
