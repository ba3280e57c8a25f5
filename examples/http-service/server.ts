/**
 * Runs the example HTTP service: `PORT` (default 3000, 0 for any free one), `HOST` (default
 * 127.0.0.1) and `CHAT_DB`, the SQLite file the chat lives in (default ./http-service.sqlite).
 */
import { createChatApp } from 'parley';
import { createHttpService } from './http-service.js';

const port = Number(process.env.PORT ?? 3000);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`PORT must be a port number, 0 to 65535 (got ${process.env.PORT})\n`);
  process.exit(2);
}
const host = process.env.HOST ?? '127.0.0.1';
const app = await createChatApp({ storage: `sqlite:${process.env.CHAT_DB ?? 'http-service.sqlite'}` }).catch((error: unknown) => {
  process.stderr.write(`cannot open the chat database (CHAT_DB): ${(error as Error).message}\n`);
  process.exit(1);
});
const server = createHttpService(app);
server.on('error', (error) => {
  process.stderr.write(`cannot listen on ${host}:${port}: ${error.message}\n`);
  process.exit(1);
});
server.listen(port, host, () => {
  const address = server.address();
  if (address && typeof address === 'object') process.stdout.write(`listening on http://${host}:${address.port}\n`);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    // Open event streams would hold the server open: closing ends them, and their subscriptions with them.
    server.closeAllConnections();
    server.close(() => void app.close());
  });
}
