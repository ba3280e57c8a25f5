import type { UserId } from '../domain/index.js';
import type { SessionHub, SessionSink } from './ports/session-hub.js';

/** Attaching and detaching connections: a user is online while at least one is attached. */
export class PresenceService {
  constructor(private readonly sessions: SessionHub) {}

  attach(userId: UserId, sink: SessionSink): void {
    this.sessions.attach(userId, sink);
  }

  detach(userId: UserId, sink: SessionSink): void {
    this.sessions.detach(userId, sink);
  }
}
