import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { temporaryDirectory } from '../../support/processes.js';

/** The package's root: where `parley` and `parley/client` resolve through package.json's exports. */
const PACKAGE_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** Writes every ES module Node loads to the file named in `data.log`, from the loader's own thread. */
const RECORDING_HOOKS = `
import { appendFileSync } from 'node:fs';
let log;
export function initialize(data) { log = data.log; }
export async function load(url, context, next) { appendFileSync(log, url + '\\n'); return next(url, context); }
`;

/**
 * Imports `specifier` in a fresh `node` run from the package root, and answers what it loaded:
 * the npm packages (ES modules seen by a loader hook, CommonJS ones in the require cache) and
 * the names it exports.
 */
async function load(specifier: string): Promise<{ packages: string[]; exports: string[] }> {
  const tmp = temporaryDirectory();
  try {
    const log = join(tmp.path, 'loaded.txt');
    const script = `
      import { createRequire, register } from 'node:module';
      const [specifier, log] = process.argv.slice(1);
      register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(RECORDING_HOOKS)}), { data: { log } });
      const exported = await import(specifier);
      console.log(JSON.stringify({ exports: Object.keys(exported), required: Object.keys(createRequire(import.meta.url).cache) }));
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script, specifier, log], { cwd: PACKAGE_ROOT });
    const { exports, required } = JSON.parse(stdout) as { exports: string[]; required: string[] };
    const paths = [...required, ...readFileSync(log, 'utf8').split('\n')];
    const packages = paths.map((path) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path)?.[1]).filter((name) => name !== undefined);
    return { packages: [...new Set(packages)].sort(), exports };
  } finally {
    tmp.remove();
  }
}

const STORAGE_AND_WIRING = ['better-sqlite3', 'inversify', 'ioredis', 'knex', 'pg'];

describe('the parley/client entry', function () {
  this.timeout(30_000);

  it('gives the client, its error class and its helpers, and loads no storage, Redis or DI code', async () => {
    const { packages, exports } = await load('parley/client');
    expect(exports).to.include.members(['ChatClient', 'ChatError', 'sendOnce', 'MAX_ACK_IDS']);
    expect(packages).to.not.include.any.members(STORAGE_AND_WIRING);
  });

  it('is checked by a probe that does see them when the whole package is loaded', async () => {
    const { packages, exports } = await load('parley');
    expect(exports).to.include.members(['createChatApp', 'ChatClient', 'ChatError']);
    expect(packages).to.include.members(['inversify', 'knex', 'pg', 'ioredis']);
  });
});
