import { expect } from 'chai';
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { DEFAULT_WEB_ROOT } from '../../../interfaces/web/web-gateway.js';
import { temporaryDirectory } from '../../support/processes.js';
import { WebFixture } from './web-fixture.js';

/** Sends a request line as written, unnormalised (as fetch would not), and returns the status. */
function rawStatus(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`));
    let text = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    socket.on('end', () => resolve(Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1])));
    socket.on('error', reject);
  });
}

describe('WebGateway, serving the web client\'s files', function () {
  this.timeout(30_000);
  let fixture: WebFixture;
  let tmp: ReturnType<typeof temporaryDirectory>;
  const get = (path: string, init?: RequestInit) => fetch(`http://127.0.0.1:${fixture.webPort}${path}`, init);

  beforeEach(() => {
    tmp = temporaryDirectory();
    const root = join(tmp.path, 'web');
    mkdirSync(join(root, 'assets'), { recursive: true });
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>parley</title>');
    writeFileSync(join(root, 'assets', 'app-1234.js'), 'console.log("hi")');
    writeFileSync(join(root, 'assets', 'style.css'), 'body{}');
    writeFileSync(join(root, 'icon.svg'), '<svg/>');
    writeFileSync(join(tmp.path, 'secret.txt'), 'not for the web');
  });
  afterEach(async () => {
    await fixture.stop();
    tmp.remove();
  });

  it('serves index.html at / and each file with its content type', async () => {
    fixture = await WebFixture.start({}, { webRoot: join(tmp.path, 'web') });
    const index = await get('/');
    expect(index.status).to.equal(200);
    expect(index.headers.get('content-type')).to.equal('text/html; charset=utf-8');
    expect(await index.text()).to.equal('<!doctype html><title>parley</title>');
    const types = { '/assets/app-1234.js': 'text/javascript; charset=utf-8', '/assets/style.css': 'text/css; charset=utf-8', '/icon.svg': 'image/svg+xml', '/index.html': 'text/html; charset=utf-8' };
    for (const [path, type] of Object.entries(types)) {
      const response = await get(path);
      expect([path, response.status, response.headers.get('content-type')]).to.deep.equal([path, 200, type]);
    }
    const head = await get('/assets/app-1234.js', { method: 'HEAD' });
    expect([head.status, head.headers.get('content-length'), await head.text()]).to.deep.equal([200, '17', '']);
  });

  it('answers 404 for what is not there, and for anything outside the directory', async () => {
    fixture = await WebFixture.start({}, { webRoot: join(tmp.path, 'web') });
    for (const path of ['/nothing.js', '/assets', '/assets/', '/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/..%5csecret.txt', '/%00', '/%E0%A4%A']) {
      expect([path, await rawStatus(fixture.webPort, path)]).to.deep.equal([path, 404]);
    }
    const post = await get('/', { method: 'POST' });
    expect([post.status, post.headers.get('allow')]).to.deep.equal([405, 'GET, HEAD']);
  });

  it('says at / that the web client is not built when its directory is missing', async () => {
    fixture = await WebFixture.start({}, { webRoot: join(tmp.path, 'missing') });
    const index = await get('/');
    expect(index.status).to.equal(404);
    expect(index.headers.get('content-type')).to.equal('text/plain; charset=utf-8');
    expect(await index.text()).to.contain('web client is not built');
  });

  it('looks by default in the package\'s dist/web, beside the compiled modules', () => {
    expect(DEFAULT_WEB_ROOT).to.match(/[/\\]dist[/\\]web[/\\]?$/);
  });
});
