import type { SessionHub } from '../application/ports/session-hub.js';
import { InProcessSessionHub } from './in-process-session-hub.js';
import type { Logger } from '../application/ports/logger.js';
import { RedisSessionHub } from './redis/redis-session-hub.js';

/** A session hub, and how to let go of it. */
export interface OpenSessionHub {
  readonly hub: SessionHub;
  close(): Promise<void>;
}

export interface SessionHubOptions {
  /** How long a dead node's users stay counted online (Redis hub); see DEFAULT_PRESENCE_TIMEOUT_MS. */
  readonly presenceTimeoutMs?: number;
  /** How long a user stays without a connection before friends are told they went offline; see DEFAULT_PRESENCE_GRACE_MS. */
  readonly presenceGraceMs?: number;
  /** Put before every Redis key and channel; default `parley:`. */
  readonly prefix?: string;
  readonly logger?: Logger;
}

/**
 * Opens the hub `location` names: `in-process` (the default, for one server process) or
 * `redis://host:port` (several processes sharing one Redis). Rejects with one line when the
 * location is not a hub or Redis cannot be reached.
 */
export async function openSessionHub(location = 'in-process', options: SessionHubOptions = {}): Promise<OpenSessionHub> {
  if (location === 'in-process') {
    const hub = new InProcessSessionHub(options);
    return { hub, close: async () => hub.close() };
  }
  const hub = await RedisSessionHub.connect(location, options);
  return { hub, close: () => hub.close() };
}
