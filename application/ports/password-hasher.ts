export interface PasswordHasher {
  /** A self-describing hash with its own random salt: the same password hashes differently each time. */
  hash(password: string): Promise<string>;
  /** Whether the password matches the hash, compared in constant time. */
  verify(password: string, hash: string): Promise<boolean>;
}
