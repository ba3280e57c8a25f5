export interface TokenGenerator {
  /** A fresh unguessable session token, safe to print. */
  generate(): string;
  /** The one-way hash under which a token is stored and looked up. */
  hash(token: string): string;
}
