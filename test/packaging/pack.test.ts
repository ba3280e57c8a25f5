import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { temporaryDirectory } from '../support/processes.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/**
 * The environment of a user's shell: without the npm_* variables of the `npm test` running us,
 * which would make the npm below act on this repository's configuration.
 */
const USER_ENV = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));

/** Runs a command to completion; rejects with its output if it fails or outlasts `ms`. */
async function sh(command: string, args: string[], cwd: string, ms = 60_000, env: NodeJS.ProcessEnv = {}): Promise<string> {
  const { stdout } = await promisify(execFile)(command, args, { cwd, env: { ...USER_ENV, ...env }, timeout: ms, maxBuffer: 16 << 20 });
  return stdout;
}

/**
 * A prebuilt better-sqlite3 for this machine, made from the one this repository's `npm ci`
 * compiled, under the name prebuild-install would download (glibc Linux; elsewhere the name
 * differs and the install compiles, as before). Where a user's install downloads the prebuilt
 * module from GitHub, this machine has no network and compiled it from source: 75 s of CPU,
 * the longest part of the whole suite, spent on a dependency's build rather than on parley.
 * Returns the environment that points better-sqlite3's install script at it.
 */
async function localPrebuild(dir: string): Promise<NodeJS.ProcessEnv> {
  const module = join(ROOT, 'node_modules', 'better-sqlite3');
  const { version } = JSON.parse(readFileSync(join(module, 'package.json'), 'utf8')) as { version: string };
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  await sh('tar', ['-czf', join(dir, name), '-C', module, 'build/Release/better_sqlite3.node'], ROOT);
  return { npm_config_better_sqlite3_local_prebuilds: dir };
}

/** Every file below `dir`, relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1));
}

describe('the npm package, installed into a new project', function () {
  // npm installs parley's dependencies (a few seconds) and better-sqlite3's install script
  // unpacks its native module from a local prebuild; should that fail, it compiles the module:
  // about 75 s of CPU, several minutes on a busy machine.
  this.timeout(10 * 60_000);
  let tmp: ReturnType<typeof temporaryDirectory> | undefined;
  let project: string;
  let installed: string;
  let packed: string[] = [];

  before(async () => {
    tmp = temporaryDirectory();
    project = join(tmp.path, 'project');
    installed = join(project, 'node_modules', 'parley');
    // The build is the one under test (`npm test` builds first): --ignore-scripts packs it
    // as it is rather than rebuilding dist/ under the running tests.
    const [pack] = JSON.parse(await sh('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', tmp.path], ROOT)) as {
      filename: string;
      files: { path: string }[];
    }[];
    packed = pack!.files.map((file) => file.path);
    mkdirSync(project);
    // A version of its own: `chatctl --version` must not print the host project's.
    const manifest = { name: 'host-project', version: '9.9.9', private: true, type: 'module', allowScripts: { 'better-sqlite3': true } };
    writeFileSync(join(project, 'package.json'), JSON.stringify(manifest));
    const prebuilds = join(tmp.path, 'prebuilds');
    mkdirSync(prebuilds);
    const env = await localPrebuild(prebuilds);
    await sh('npm', ['install', join(tmp.path, pack!.filename), '--prefer-offline', '--no-audit', '--no-fund'], project, 9 * 60_000, env);
  });

  after(() => tmp?.remove());

  it('holds the compiled library, the built web client, its docs, README and LICENSE, and no tests, benchmark or examples', () => {
    expect(packed).to.include.members([
      'LICENSE',
      'README.md',
      'docs/protocol.md',
      'docs/deploy.md',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/client.js',
      'dist/client.d.ts',
      'dist/cli.js',
      'dist/bin/chatctl.js',
    ]);
    expect(packed.some((path) => path.startsWith('docs/adr/'))).to.equal(true);
    expect(packed.filter((path) => /^dist\/(test|bench|examples)\//.test(path))).to.deep.equal([]);
    expect(packed.filter((path) => path.startsWith('docs/screenshots/'))).to.deep.equal([]); // the README's pictures stay in the repository
    // Compiled code, but the web client's built page and stylesheet, which `serve --web-port` serves.
    expect(packed).to.include('dist/web/index.html');
    expect(packed.filter((path) => path.startsWith('dist/') && !path.startsWith('dist/web/') && !/\.(js|d\.ts|js\.map)$/.test(path))).to.deep.equal([]);
  });

  it('installs without TypeScript or any devDependency', () => {
    expect(existsSync(join(project, 'node_modules', 'typescript'))).to.equal(false);
    expect(existsSync(join(project, 'node_modules', 'mocha'))).to.equal(false);
  });

  it('carries the sources inside each source map, so that no map points at a missing file', () => {
    const maps = filesUnder(installed).filter((path) => path.endsWith('.map'));
    expect(maps).to.include('dist/index.js.map');
    const dangling = maps.filter((path) => {
      const map = JSON.parse(readFileSync(join(installed, path), 'utf8')) as { sources: string[]; sourcesContent?: (string | null)[] };
      return map.sources.some((_, i) => typeof map.sourcesContent?.[i] !== 'string');
    });
    expect(dangling).to.deep.equal([]);
  });

  it('lets a project import the library and the client subpath, and keep its data in SQLite', async () => {
    const script = `
      import { createChatApp } from 'parley';
      import { ChatClient } from 'parley/client';
      let app = await createChatApp({ storage: 'sqlite:chat.sqlite' });
      await app.accounts.register('alice', 'correct horse');
      await app.close();
      app = await createChatApp({ storage: 'sqlite:chat.sqlite' });
      const { user } = await app.accounts.login('alice', 'correct horse', '127.0.0.1');
      await app.close();
      console.log(JSON.stringify({ loggedIn: user.username, client: typeof ChatClient }));
    `;
    writeFileSync(join(project, 'use-parley.js'), script);
    const out = JSON.parse(await sh(process.execPath, ['use-parley.js'], project)) as unknown;
    expect(out).to.deep.equal({ loggedIn: 'alice', client: 'function' });
    expect(existsSync(join(project, 'chat.sqlite'))).to.equal(true);
  });

  it('runs `npx chatctl --version`, printing the package version', async () => {
    expect((await sh('npx', ['chatctl', '--version'], project)).trim()).to.equal(VERSION);
  });
});
