import { createInterface } from 'node:readline';

/**
 * For a helper process that tests release together with others: says "ready" on standard
 * output, then resolves when a line arrives on standard input (`releaseTogether` sends it).
 */
export async function startSignal(): Promise<void> {
  const lines = createInterface({ input: process.stdin });
  process.stdout.write('ready\n');
  await new Promise((resolve) => lines.once('line', resolve));
  lines.close();
}
