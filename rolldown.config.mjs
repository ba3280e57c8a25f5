// The chatctl command as users run it: `dist/bin/chatctl.js`, bundled from what tsc compiled
// (`dist/cli.js`), so that a one-shot command reads a few files instead of about a hundred:
// Node 20 loads each ES module on its own, and chatctl's modules and yargs' took about a third
// of its start-up (ADR 0020, ninth addendum). The server's dependencies stay outside, loaded
// from node_modules when `serve` or `promote` needs them: native code (better-sqlite3), the
// drivers Knex requires by name, pino's transports that run in worker threads.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath, URL } from 'node:url';
import { defineConfig } from 'rolldown';

/** The dependencies bundled into chatctl: what the client commands use. */
const BUNDLED = new Set(['yargs', 'cli-table3', '@inquirer/password', 'smol-toml', 'zod']);

const { dependencies } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
const packageOf = (id) => (id.startsWith('@') ? id.split('/').slice(0, 2).join('/') : id.split('/')[0]);
const DIST = fileURLToPath(new URL('./dist/', import.meta.url));

/**
 * Hands the bundler each compiled module with tsc's source map, so that the bundle's maps lead
 * back to the TypeScript (whose text tsc put inside its maps), not to the compiled JavaScript.
 */
const compiledWithTheirMaps = {
  name: 'compiled-with-their-maps',
  load(id) {
    if (!id.startsWith(DIST) || !existsSync(`${id}.map`)) return null;
    const code = readFileSync(id, 'utf8').replace(/^\/\/# sourceMappingURL=.*$/m, '');
    return { code, map: readFileSync(`${id}.map`, 'utf8') };
  },
};

/**
 * `string-width` as yargs' help layout (cliui, wrap-ansi) calls it, answering printable ASCII
 * at once (its width is its length) and handing anything else (escapes, wide or combining
 * characters, emoji) to the real module. The real one splits every string into graphemes
 * with `Intl.Segmenter` and tests each against an emoji pattern: 28 ms of `chatctl --help`'s
 * 150, for text that is all ASCII.
 */
const ASCII_WIDTH = '\0ascii-width:';
const asciiStringWidth = {
  name: 'ascii-string-width',
  async resolveId(source, importer, options) {
    // The wrapper imports the real module by its resolved path, so it never comes back here.
    if (source !== 'string-width') return null;
    const real = await this.resolve(source, importer, { ...options, skipSelf: true });
    return real ? `${ASCII_WIDTH}${real.id}` : null;
  },
  load(id) {
    if (!id.startsWith(ASCII_WIDTH)) return null;
    return [
      `import stringWidth from ${JSON.stringify(id.slice(ASCII_WIDTH.length))};`,
      'const PRINTABLE_ASCII = /^[\\x20-\\x7e]*$/;',
      'export default function width(string, options) {',
      "  return typeof string === 'string' && PRINTABLE_ASCII.test(string) ? string.length : stringWidth(string, options);",
      '}',
    ].join('\n');
  },
};

export default defineConfig({
  input: { chatctl: 'dist/cli.js' },
  platform: 'node',
  external: (id) => !id.startsWith('.') && !id.startsWith('/') && packageOf(id) in dependencies && !BUNDLED.has(packageOf(id)),
  plugins: [compiledWithTheirMaps, asciiStringWidth],
  output: {
    dir: 'dist/bin',
    format: 'esm',
    sourcemap: true,
    cleanDir: true,
    entryFileNames: '[name].js',
    chunkFileNames: '[name]-[hash].js',
  },
});
