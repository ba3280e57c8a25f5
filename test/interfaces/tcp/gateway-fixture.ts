import type { ChatApp } from '../../../application/chat-app.js';
import type { Logger } from '../../../application/ports/logger.js';
import { createChatApp } from '../../../container.js';
import type { User } from '../../../domain/index.js';
import { TcpGateway, type TcpGatewayOptions } from '../../../interfaces/tcp/tcp-gateway.js';
import { RawPeer } from '../../support/raw-peer.js';

export type Frame = Record<string, unknown>;

/** A real TcpGateway on an ephemeral loopback port over a memory application, and raw peers to drive it. */
export class GatewayFixture {
  private readonly peers: RawPeer[] = [];
  private requestIds = 0;

  private constructor(
    readonly app: ChatApp,
    readonly gateway: TcpGateway,
    readonly port: number,
  ) {}

  /**
   * Silent unless given a logger. A user whose last connection closed counts online for a
   * 50 ms presence grace, not the default 5 s, so a test sees them go offline promptly.
   */
  static async start(limits: TcpGatewayOptions['limits'] = {}, logger?: Logger): Promise<GatewayFixture> {
    const app = await createChatApp({ storage: 'memory', scryptCost: { N: 2 ** 10, r: 8, p: 1 }, presenceGraceMs: 50 });
    const gateway = new TcpGateway(app, { host: '127.0.0.1', port: 0, logger, limits, shutdownGraceMs: 1000 });
    return new GatewayFixture(app, gateway, (await gateway.listen()).port);
  }

  async peer(): Promise<RawPeer> {
    const opened = await RawPeer.open(this.port);
    this.peers.push(opened);
    return opened;
  }

  /** Registers the user with the password "pw-<name>-123" and returns them as the application knows them. */
  async user(name: string): Promise<User> {
    await this.app.accounts.register(name, `pw-${name}-123`);
    const { token } = await this.app.accounts.login(name, `pw-${name}-123`, '127.0.0.1');
    return this.app.accounts.authenticate(token);
  }

  /** Sends a request and waits for its response; the events that came first are added to `events`. */
  async call(peer: RawPeer, op: string, args: Record<string, unknown> = {}, token?: string, events: Frame[] = []): Promise<Frame> {
    const id = ++this.requestIds;
    peer.request(id, op, args, token);
    for (;;) {
      const frame = await peer.next();
      if (frame.type === 'response' && frame.id === id) return frame;
      events.push(frame);
    }
  }

  /** A new connection logged in (and so attached) as the user; `events` gets the backlog. */
  async loggedIn(name: string, events: Frame[] = []): Promise<{ peer: RawPeer; token: string }> {
    const peer = await this.peer();
    const answer = await this.call(peer, 'login', { username: name, password: `pw-${name}-123` }, undefined, events);
    if (answer.status !== 'ok') throw new Error(`login of ${name} failed: ${JSON.stringify(answer)}`);
    return { peer, token: (answer.data as { token: string }).token };
  }

  async stop(): Promise<void> {
    for (const peer of this.peers.splice(0)) peer.end();
    await this.gateway.close();
    await this.app.close();
  }
}
