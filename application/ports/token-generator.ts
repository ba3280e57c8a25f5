export interface TokenGenerator {
  /** A fresh unguessable secret, safe to print and to pass as a command-line argument (no leading `-`). */
  generate(): string;
  /** The one-way hash under which a token is stored and looked up. */
  hash(token: string): string;
}
