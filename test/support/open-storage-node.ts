/**
 * A server process opening a SQLite file, for tests of processes started together:
 * `node open-storage-node.js <file>` loads, says "ready", opens the storage (shared) when a
 * line arrives on its standard input, closes it, and exits 0 (1 with the error on stderr).
 */
import { openStorage } from '../../infrastructure/storage.js';
import { startSignal } from './start-signal.js';

const [file] = process.argv.slice(2) as [string];
await startSignal();
try {
  const storage = await openStorage(`sqlite:${file}`, { shared: true });
  await storage.close();
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exitCode = 1;
}
