import { readFileSync } from 'node:fs';
import { PACKAGE_ROOT } from '../package-root.js';

/**
 * parley's own version, for `chatctl --version`. Read from the package's root (PACKAGE_ROOT):
 * yargs' default looks beside wherever yargs is installed, which in a project that depends on
 * parley is that project's package.json.
 */
export const PACKAGE_VERSION = (JSON.parse(readFileSync(new URL('package.json', PACKAGE_ROOT), 'utf8')) as { version: string }).version;
