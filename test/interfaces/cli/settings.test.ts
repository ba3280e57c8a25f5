import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from '../../../interfaces/cli/exit-codes.js';
import { SERVER_SETTINGS, webOrigins } from '../../../interfaces/cli/server-settings.js';
import { envName, formatSettings, resolveSettings } from '../../../interfaces/cli/settings.js';
import { temporaryDirectory } from '../../support/processes.js';

describe('the server settings: flags, PARLEY_* variables, a TOML file and defaults', () => {
  let tmp: ReturnType<typeof temporaryDirectory>;
  beforeEach(() => (tmp = temporaryDirectory()));
  afterEach(() => tmp.remove());

  const file = (text: string) => {
    const path = join(tmp.path, 'parley.toml');
    writeFileSync(path, text);
    return path;
  };
  const refusal = (run: () => unknown) => {
    try {
      run();
    } catch (error) {
      expect(error).to.be.instanceOf(CliError);
      return [(error as CliError).exitCode, (error as CliError).message];
    }
    throw new Error('not refused');
  };

  it('takes a flag over the environment, the environment over the file, the file over the default', () => {
    const config = file('port = 9001\nhost = "0.0.0.0"\nmax-page-size = 50\n');
    const env = { PARLEY_PORT: '9002', PARLEY_HOST: '::1' };
    const { values, sources } = resolveSettings(SERVER_SETTINGS, { port: 9003 }, env, config);
    expect([values.port, values.host, values['max-page-size'], values['log-level']]).to.deep.equal([9003, '::1', 50, 'info']);
    expect([sources.port, sources.host, sources['max-page-size'], sources['log-level'], sources['metrics-port']]).to.deep.equal(['flag', 'environment', 'file', 'default', 'unset']);
  });

  it('names every setting\'s variable after it, and treats an empty one as unset', () => {
    expect(envName('max-failed-logins-per-account')).to.equal('PARLEY_MAX_FAILED_LOGINS_PER_ACCOUNT');
    expect(resolveSettings(SERVER_SETTINGS, {}, { PARLEY_DB: '' }, undefined).values.db).to.equal('data/chat.sqlite');
  });

  it('refuses a bad value from any source with one line naming where it came from and what was expected, as bad usage', () => {
    expect(refusal(() => resolveSettings(SERVER_SETTINGS, { port: 'abc' }, {}, undefined))).to.deep.equal([2, '--port must be a whole number from 0 to 65535 (got abc)']);
    expect(refusal(() => resolveSettings(SERVER_SETTINGS, {}, { PARLEY_TOKEN_LIFETIME: 'soon' }, undefined))).to.deep.equal([
      2,
      'PARLEY_TOKEN_LIFETIME must be a number of seconds above 0 and at most 315360000 (got "soon")',
    ]);
    expect(refusal(() => resolveSettings(SERVER_SETTINGS, { hub: 'http://parley:s3cret@cache:6379' }, {}, undefined))).to.deep.equal([
      2,
      '--hub must be in-process or redis://host:port (got http://parley:***@cache:6379)',
    ]);
    const config = file('max-request-burst = 2.5\n');
    expect(refusal(() => resolveSettings(SERVER_SETTINGS, {}, {}, config))).to.deep.equal([2, `${config}: max-request-burst must be a positive whole number (got 2.5)`]);
  });

  it('refuses a file with a value of the wrong type, an unknown key, bad TOML or no file at all', () => {
    const wrongType = file('port = "7878"\n');
    expect(refusal(() => resolveSettings(SERVER_SETTINGS, {}, {}, wrongType))).to.deep.equal([2, `${wrongType}: port must be a whole number from 0 to 65535 (got "7878")`]);
    const unknown = file('prot = 7878\n');
    expect(refusal(() => resolveSettings(SERVER_SETTINGS, {}, {}, unknown))).to.deep.equal([2, `${unknown}: unknown key "prot" (the keys are the names of the serve flags: docs/operations.md)`]);
    const table = file('[limits]\nmax-connections = 5\n');
    expect(refusal(() => resolveSettings(SERVER_SETTINGS, {}, {}, table))).to.deep.equal([2, `${table}: unknown key "limits" (the keys are the names of the serve flags: docs/operations.md)`]);
    const broken = file('port = 7878\nhost = \n');
    expect(refusal(() => resolveSettings(SERVER_SETTINGS, {}, {}, broken))).to.deep.equal([2, `${broken}:2:8: not valid TOML: invalid value`]);
    const missing = join(tmp.path, 'nowhere.toml');
    expect(refusal(() => resolveSettings(SERVER_SETTINGS, {}, {}, missing))).to.deep.equal([2, `cannot read the config file ${missing}: no such file`]);
  });

  it('prints the effective settings as TOML that reads back the same, with where each came from and no password', () => {
    const config = file('db = "postgres://parley:s3cret@db.example:5432/chat"\n');
    const resolved = resolveSettings(SERVER_SETTINGS, { port: 0 }, { PARLEY_HUB: 'redis://:hunter2@cache:6379' }, config);
    const printed = formatSettings(SERVER_SETTINGS, resolved);
    expect(printed).to.not.match(/s3cret|hunter2/);
    const lines = printed.split('\n');
    expect(lines).to.include.members([
      'port = 0  # flag',
      'hub = "redis://:***@cache:6379"  # environment',
      'db = "postgres://parley:***@db.example:5432/chat"  # file',
      'host = "127.0.0.1"  # default',
      '# metrics-port = (unset)',
    ]);
    const reread = resolveSettings(SERVER_SETTINGS, {}, {}, file(printed));
    expect(reread.values.port).to.equal(0);
    expect(reread.values['max-frame-bytes']).to.equal(resolved.values['max-frame-bytes']);
  });

  it('leaves the web listener off unless web-port is given, on loopback, and checks web-origins', () => {
    const defaults = resolveSettings(SERVER_SETTINGS, {}, {}, undefined);
    expect(formatSettings(SERVER_SETTINGS, defaults).split('\n')).to.include.members(['# web-port = (unset)', 'web-host = "127.0.0.1"  # default', '# web-origins = (unset)']);
    const given = resolveSettings(SERVER_SETTINGS, { 'web-port': '0' }, { PARLEY_WEB_ORIGINS: 'https://chat.example.org, http://localhost:5173' }, undefined);
    expect(given.values['web-port']).to.equal(0);
    expect(webOrigins(given.values['web-origins']!)).to.deep.equal(['https://chat.example.org', 'http://localhost:5173']);
    expect(resolveSettings(SERVER_SETTINGS, { 'web-origins': '*' }, {}, undefined).values['web-origins']).to.equal('*');
    const expected = 'must be a comma-separated list of origins like https://host:port, or *';
    for (const bad of ['chat.example.org', 'https://chat.example.org/app', 'ftp://x.example', 'https://a.example,']) {
      expect(refusal(() => resolveSettings(SERVER_SETTINGS, { 'web-origins': bad }, {}, undefined))).to.deep.equal([2, `--web-origins ${expected} (got ${bad})`]);
    }
    expect(refusal(() => resolveSettings(SERVER_SETTINGS, { 'web-port': '65536' }, {}, undefined))).to.deep.equal([2, '--web-port must be a whole number from 0 to 65535 (got 65536)']);
  });
});
