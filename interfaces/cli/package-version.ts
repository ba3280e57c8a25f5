import { readFileSync } from 'node:fs';

/**
 * parley's own version, for `chatctl --version`. Read through the package's self-reference
 * (its "exports" list ./package.json): yargs' default looks beside wherever yargs is
 * installed, which in a project that depends on parley is that project's package.json.
 */
export const PACKAGE_VERSION = (JSON.parse(readFileSync(new URL(import.meta.resolve('parley/package.json')), 'utf8')) as { version: string }).version;
