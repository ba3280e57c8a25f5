// mocha runs the compiled tests (`npm test` builds first), one file per worker process, two
// or more at a time: most of the suite waits on real processes (servers, chatctl, npm,
// Chromium), so on this project's 2-core machines two workers take 9 minutes down to about 5
// (measured on a Xeon VM; on a slower EPYC VM, 2026-12-07, the parallel run takes 9).
// Every test makes its own SQLite files, PostgreSQL schema, Redis prefix and ports, so files
// cannot see each other. The longest files start first, so that none of them is left
// running alone at the end: the packaging test (an npm install), then the end-to-end ones.
const { readdirSync } = require('node:fs');
const { availableParallelism } = require('node:os');
const { join, resolve, sep } = require('node:path');

const TESTS = 'dist/test';
const FIRST = [/^packaging\//, /^e2e\//];

function specs() {
  let files;
  try {
    files = readdirSync(TESTS, { recursive: true }).filter((file) => file.endsWith('.test.js'));
  } catch {
    return [`${TESTS}/**/*.test.js`]; // not built: mocha says it found no test files
  }
  const rank = (file) => {
    const i = FIRST.findIndex((pattern) => pattern.test(file));
    return i === -1 ? FIRST.length : i;
  };
  return files.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b)).map((file) => join(TESTS, file));
}

/**
 * Test files or directories named on the command line (`npx mocha dist/test/e2e/groups.test.js`,
 * `npx mocha 'dist/test/e2e/*.test.js'`) run alone, rather than besides the whole suite: any
 * argument inside the tests' directory. A path elsewhere (`--reporter ./mine.cjs`) is not one.
 */
const inside = resolve(TESTS) + sep;
const named = process.argv.slice(2).some((arg) => resolve(arg).startsWith(inside));

module.exports = {
  spec: named ? [] : specs(),
  // A directory named on the command line (`npx mocha dist/test/interfaces`) runs the tests beneath it.
  recursive: true,
  parallel: true,
  jobs: Math.max(2, availableParallelism() - 1),
  timeout: 20000,
  slow: 1000,
  'enable-source-maps': true,
};
