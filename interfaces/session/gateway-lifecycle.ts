import type { AddressInfo, Server } from 'node:net';
import type { Logger } from '../../application/ports/logger.js';
import type { ChatSession } from './chat-session.js';

/** Addresses only this machine can reach; listening anywhere else without TLS earns a warning. */
const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

/** What a gateway holds right now. */
export interface GatewayStats {
  /** Connections open, logged in or not. */
  readonly connections: number;
  /** Distinct users with at least one connection receiving their pushes. */
  readonly attachedUsers: number;
}

/**
 * Starts a gateway's listener and logs where it listens as `what` ("listening", "web
 * listening"), warning when that is off loopback without TLS; resolves with the address.
 */
export function listenAndLog(server: Server, options: { host: string; port: number; tls: boolean }, logger: Logger, what: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      const address = server.address() as AddressInfo;
      logger.info({ host: address.address, port: address.port, tls: options.tls }, what);
      if (!options.tls && !LOOPBACK.test(address.address)) {
        logger.warn(
          { event: 'cleartext_listener', host: address.address, port: address.port },
          `${what} on a non-loopback address without TLS: passwords, tokens and messages cross the network in clear; give a certificate (chatctl serve --tls-cert/--tls-key)`,
        );
      }
      resolve(address);
    });
  });
}

/** Counts a gateway's sessions, for a metrics scrape. */
export function statsOf(sessions: Iterable<ChatSession>): GatewayStats {
  const all = [...sessions];
  const attached = new Set(all.map((session) => session.attachedUser).filter((user) => user !== undefined));
  return { connections: all.length, attachedUsers: attached.size };
}

/**
 * Tells attached clients the server is going away and lets requests already read finish, up
 * to `graceMs`; the gateway then cuts whatever is left.
 */
export async function shutDownSessions(sessions: Iterable<ChatSession>, graceMs: number): Promise<void> {
  const grace = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
  await Promise.race([Promise.all([...sessions].map((session) => session.shutdown(graceMs))), grace]);
}
