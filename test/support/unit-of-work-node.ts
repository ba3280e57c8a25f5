/**
 * Another server process on the same SQLite file, for tests of units of work two processes
 * run at once: `node unit-of-work-node.js <file> <username> <rounds>` opens the storage shared,
 * says "ready", and when a line arrives runs `rounds` units of work that each read the user and
 * then write their token, as a login does. Prints one JSON line, `{ done, errors }`: how many
 * units committed, and the message of each that failed.
 */
import type { Username } from '../../domain/index.js';
import { openStorage } from '../../infrastructure/storage.js';
import { startSignal } from './start-signal.js';

const [file, username, rounds] = process.argv.slice(2) as [string, Username, string];
const storage = await openStorage(`sqlite:${file}`, { shared: true });
await startSignal();
let done = 0;
const errors: string[] = [];
for (let round = 0; round < Number(rounds); round++) {
  try {
    await storage.unitOfWork.run(async ({ users }) => {
      const user = await users.byUsername(username);
      await users.setToken(user!.id, { hash: `${username}-${round}`, issuedAt: new Date() });
    });
    done++;
  } catch (error) {
    errors.push((error as Error).message);
  }
}
await storage.close();
process.stdout.write(`${JSON.stringify({ done, errors })}\n`);
