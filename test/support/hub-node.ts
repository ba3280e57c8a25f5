/**
 * A Redis hub node in a process of its own, for tests that kill it: joins the hub at argv[2]
 * under prefix argv[3] with presence timeout argv[4] ms, attaches user argv[5], says
 * "attached", and waits to be killed.
 */
import { RedisSessionHub } from '../../infrastructure/redis/redis-session-hub.js';
import { RecordingSink } from './fakes.js';

const [url, prefix, timeout, userId] = process.argv.slice(2) as [string, string, string, string];
const hub = await RedisSessionHub.connect(url, { prefix, presenceTimeoutMs: Number(timeout) });
await hub.attach(Number(userId), new RecordingSink());
process.stdout.write('attached\n');
setInterval(() => {}, 60_000);
