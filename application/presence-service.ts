import type { User } from '../domain/index.js';
import type { SessionHub, SessionSink } from './ports/session-hub.js';

/** Attaching and detaching connections: a user is online while at least one is attached. */
export class PresenceService {
  constructor(private readonly sessions: SessionHub) {}

  attach(user: User, sink: SessionSink): void {
    this.sessions.attach(user.id, sink);
  }

  detach(user: User, sink: SessionSink): void {
    this.sessions.detach(user.id, sink);
  }
}
