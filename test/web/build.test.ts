import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WEB_DIST } from '../support/browser.js';

/** Every file of the built client, relative to dist/web/. */
function builtFiles(): string[] {
  return readdirSync(WEB_DIST, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(WEB_DIST.length));
}

describe('the built web client (npm run build)', () => {
  it('has an index.html whose scripts and styles are relative paths to files that exist', () => {
    const index = readFileSync(join(WEB_DIST, 'index.html'), 'utf8');
    const references = [...index.matchAll(/\b(?:src|href)="([^"]*)"/g)].map((match) => match[1]!);
    expect(references).to.have.length.greaterThan(1);
    for (const reference of references) {
      expect(reference, reference).to.match(/^\.\//);
      expect(existsSync(join(WEB_DIST, reference)), reference).to.equal(true);
    }
  });

  it('fetches nothing from other hosts: no file names an http or https URL', () => {
    const files = builtFiles();
    expect(files).to.include('index.html');
    expect(files.some((file) => file.endsWith('.js'))).to.equal(true);
    const urls = files.flatMap((file) => [...readFileSync(join(WEB_DIST, file), 'utf8').matchAll(/https?:\/\/[^\s"'`)]*/g)].map((match) => `${file}: ${match[0]}`));
    expect(urls).to.deep.equal([]);
  });
});
