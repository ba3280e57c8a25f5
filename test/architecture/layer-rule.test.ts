import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const fixture = fileURLToPath(new URL('../../../test/fixtures/layer-violation', import.meta.url));

function depcruise(cwd: string, ...paths: string[]) {
  const run = spawnSync(
    process.execPath,
    [`${root}/node_modules/dependency-cruiser/bin/dependency-cruise.mjs`, '--config', `${root}/.dependency-cruiser.cjs`, ...paths],
    { cwd, encoding: 'utf8' },
  );
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe('the layer rule', () => {
  it('fails the build on each kind of forbidden import, type-only ones included', () => {
    const { status, output } = depcruise(fixture, 'domain', 'application', 'infrastructure', 'interfaces', 'web');
    expect(status, output).to.not.equal(0);
    expect(output).to.match(/domain-is-pure: domain\/user\.ts → (node:)?crypto/);
    expect(output).to.match(/domain-is-pure: domain\/user\.ts → .*knex/);
    expect(output).to.match(/application-sees-only-domain: application\/accounts\.ts → infrastructure\/knex-users\.ts/);
    expect(output).to.match(/infrastructure-not-interfaces: infrastructure\/knex-users\.ts → interfaces\/gateway\.ts/);
    expect(output).to.match(/web-sees-only-wire-types: web\/page\.ts → interfaces\/gateway\.ts/);
    expect(output).to.match(/web-imports-wire-types-as-types: web\/page\.ts → interfaces\/gateway\.ts/);
  });

  it('passes on parley itself', () => {
    const { status, output } = depcruise(root, 'domain', 'application', 'infrastructure', 'interfaces', 'container.ts', 'index.ts', 'cli.ts', 'web');
    expect(status, output).to.equal(0);
  });
});
