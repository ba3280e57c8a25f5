/**
 * Another server process on the same SQLite file (a shared file, several nodes on one
 * machine), for tests of what two processes see of each other's commits:
 * `node queue-writer-node.js <file> <rounds> <ack: 1|0> <sender> <group> <recipient>...`. Opens
 * the storage shared, then per round stores, in one call, a private message to the first
 * recipient and a group message to all of them, and with ack 1 acknowledges meanwhile
 * everything waiting for one recipient (the next in turn). Prints one JSON line,
 * `{ ids, errors }`: the ids it was given, and the message of each call that failed.
 */
import type { ChatMessage, Username } from '../../domain/index.js';
import { openStorage } from '../../infrastructure/storage.js';

const [file, rounds, ack, sender, group, ...recipients] = process.argv.slice(2).map((value, i) => (i === 0 ? value : Number(value))) as [string, number, number, number, number, ...number[]];
const storage = await openStorage(`sqlite:${file}`, { shared: true });
const from = { id: sender, username: `user${sender}` as Username };
const ids: number[] = [];
const errors: string[] = [];
for (let round = 0; round < rounds; round++) {
  const sentAt = new Date();
  const privately: ChatMessage = { kind: 'private', from, fromAdmin: false, text: `${sender}: private ${round}`, sentAt };
  const toGroup: ChatMessage = { kind: 'group', from, fromAdmin: false, group: { id: group, name: 'team', creator: from.username }, text: `${sender}: group ${round}`, sentAt };
  const reader = recipients[round % recipients.length]!;
  const calls = [
    storage.repositories.messages.enqueue([{ recipientId: recipients[0]!, message: privately }, ...recipients.map((recipientId) => ({ recipientId, message: toGroup }))]).then(
      (queued) => ids.push(...queued.map((delivery) => delivery.id)),
      (error: Error) => errors.push(`enqueue: ${error.message}`),
    ),
  ];
  if (ack === 1) {
    const acknowledged = storage.repositories.messages.pendingFor(reader).then((pending) => storage.repositories.messages.acknowledge(reader, pending.map((delivery) => delivery.id)));
    calls.push(acknowledged.then((removed) => removed.length, (error: Error) => errors.push(`acknowledge: ${error.message}`)));
  }
  await Promise.all(calls);
}
await storage.close();
process.stdout.write(`${JSON.stringify({ ids, errors })}\n`);
