import { createHash, randomBytes } from 'node:crypto';
import type { TokenGenerator } from '../application/ports/token-generator.js';

/** 256 random bits, base64url; stored as their SHA-256, which is enough for a secret this long. */
export class RandomTokenGenerator implements TokenGenerator {
  generate(): string {
    return randomBytes(32).toString('base64url');
  }

  hash(token: string): string {
    return createHash('sha256').update(token).digest('hex');
  }
}
