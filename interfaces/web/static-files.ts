import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';

/** The content types of what a built web client holds; anything else is served as bytes. */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
};

/** What `/` says when the directory holds no web client. */
export const NOT_BUILT = 'The parley web client is not built: run `npm run build` (or install the published package), then reload.\n';

/**
 * Serves the files of one directory over GET and HEAD: `/` is its index.html, a path names a
 * file under it (never above: `..` and encoded slashes are refused), anything else is 404.
 */
export class StaticFiles {
  private readonly root: string;

  constructor(directory: string) {
    this.root = resolve(directory);
  }

  async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return reply(response, 405, 'only GET and HEAD are served here\n', { Allow: 'GET, HEAD' });
    }
    const file = this.file(new URL(request.url ?? '/', 'http://host').pathname);
    if (file === undefined) return reply(response, 404, 'not found\n');
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (file === join(this.root, 'index.html') && code === 'ENOENT') return reply(response, 404, NOT_BUILT);
      // Missing, a directory, unreadable: all the same to a browser.
      return reply(response, 404, 'not found\n');
    }
    response.writeHead(200, {
      'Content-Type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': body.length,
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-cache',
    });
    response.end(request.method === 'HEAD' ? undefined : body);
  }

  /** The file a URL path names under the root, or undefined if it names none there. */
  private file(pathname: string): string | undefined {
    let path: string;
    try {
      path = decodeURIComponent(pathname);
    } catch {
      return undefined;
    }
    if (path.includes('\0') || path.includes('\\')) return undefined;
    const file = resolve(this.root, `.${path === '/' ? '/index.html' : path}`);
    return file.startsWith(this.root + sep) ? file : undefined;
  }
}

/** A short plain-text answer. */
export function reply(response: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text), ...headers });
  response.end(text);
}
