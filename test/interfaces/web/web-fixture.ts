import { WebSocket, type ClientOptions, type RawData } from 'ws';
import type { ChatApp } from '../../../application/chat-app.js';
import { createChatApp } from '../../../container.js';
import { TcpGateway, type ConnectionLimits } from '../../../interfaces/tcp/tcp-gateway.js';
import { WebGateway, type WebGatewayOptions } from '../../../interfaces/web/web-gateway.js';
import { RawPeer } from '../../support/raw-peer.js';

export type Envelope = Record<string, unknown>;

/** A WebSocket client for tests: sends text or bytes, reads envelopes, and remembers how the server closed. */
export class WsPeer {
  private readonly envelopes: Envelope[] = [];
  private waiting: (() => void) | undefined;
  /** The close code and reason, once the connection closed. */
  closedWith: { code: number; reason: string } | undefined;
  private requestIds = 0;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: RawData) => {
      this.envelopes.push(JSON.parse(data.toString()) as Envelope);
      this.waiting?.();
    });
    ws.on('close', (code, reason) => {
      this.closedWith = { code, reason: reason.toString() };
      this.waiting?.();
    });
    ws.on('error', () => {});
  }

  /** Opens a connection to `url`; resolves once it is open. */
  static open(url: string, options: ClientOptions = {}): Promise<WsPeer> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, options);
      ws.once('open', () => resolve(new WsPeer(ws)));
      ws.once('error', reject);
      ws.once('unexpected-response', (_request, response) => reject(new Error(`HTTP ${response.statusCode}`)));
    });
  }

  send(envelope: Envelope): void {
    this.ws.send(JSON.stringify(envelope));
  }

  /** Sends a request and waits for its response; the events that came first are added to `events`. */
  async call(op: string, args: Record<string, unknown> = {}, token?: string, events: Envelope[] = []): Promise<Envelope> {
    const id = ++this.requestIds;
    this.send({ type: 'request', id, op, args, ...(token ? { token } : {}) });
    for (;;) {
      const envelope = await this.next();
      if (envelope.type === 'response' && envelope.id === id) return envelope;
      events.push(envelope);
    }
  }

  /** Logs in as the fixture's user `name`; resolves with the token. */
  async login(name: string, events: Envelope[] = []): Promise<string> {
    const answer = await this.call('login', { username: name, password: `pw-${name}-123` }, undefined, events);
    if (answer.status !== 'ok') throw new Error(`login of ${name} failed: ${JSON.stringify(answer)}`);
    return (answer.data as { token: string }).token;
  }

  /** The next envelope the server sends; rejects if the connection closes first or after `ms`. */
  async next(ms = 5000): Promise<Envelope> {
    const deadline = Date.now() + ms;
    while (this.envelopes.length === 0) {
      if (this.closedWith) throw new Error(`connection closed (${this.closedWith.code} ${this.closedWith.reason})`);
      if (Date.now() > deadline) throw new Error('no envelope in time');
      await new Promise<void>((resolve) => {
        this.waiting = resolve;
        setTimeout(resolve, 50);
      });
    }
    return this.envelopes.shift()!;
  }

  /** The next envelope that is not a presence notice (`presence`, `group-presence`: pushed as people come and go, never acknowledged). */
  async nextDelivery(ms = 5000): Promise<Envelope> {
    const deadline = Date.now() + ms;
    for (;;) {
      const envelope = await this.next(Math.max(0, deadline - Date.now()));
      if (envelope.event !== 'presence' && envelope.event !== 'group-presence') return envelope;
    }
  }

  /** Every envelope until the server closes, and how it closed. */
  async untilClosed(ms = 5000): Promise<{ envelopes: Envelope[]; code: number; reason: string }> {
    const envelopes: Envelope[] = [];
    for (;;) {
      try {
        envelopes.push(await this.next(ms));
      } catch (error) {
        if (!this.closedWith) throw error;
        return { envelopes, ...this.closedWith };
      }
    }
  }

  close(): void {
    this.ws.terminate();
  }
}

/**
 * A TcpGateway and a WebGateway sharing their guards on ephemeral loopback ports, over one
 * memory application, as `serve --web-port` runs them; and peers of both kinds.
 */
export class WebFixture {
  private readonly closers: (() => void)[] = [];

  private constructor(
    readonly app: ChatApp,
    readonly tcp: TcpGateway,
    readonly web: WebGateway,
    readonly tcpPort: number,
    readonly webPort: number,
  ) {}

  static async start(limits: Partial<ConnectionLimits> = {}, options: Partial<WebGatewayOptions> = {}): Promise<WebFixture> {
    const app = await createChatApp({ storage: 'memory', scryptCost: { N: 2 ** 10, r: 8, p: 1 } });
    const tcp = new TcpGateway(app, { host: '127.0.0.1', port: 0, limits, shutdownGraceMs: 1000 });
    const web = new WebGateway(app, { host: '127.0.0.1', port: 0, limits, shutdownGraceMs: 1000, guards: tcp.guards, ...options });
    const tcpPort = (await tcp.listen()).port;
    return new WebFixture(app, tcp, web, tcpPort, (await web.listen()).port);
  }

  get url(): string {
    return `ws://127.0.0.1:${this.webPort}/ws`;
  }

  async wsPeer(options: ClientOptions = {}): Promise<WsPeer> {
    const peer = await WsPeer.open(this.url, options);
    this.closers.push(() => peer.close());
    return peer;
  }

  async tcpPeer(): Promise<RawPeer> {
    const peer = await RawPeer.open(this.tcpPort);
    this.closers.push(() => peer.end());
    return peer;
  }

  /** Registers the user with the password "pw-<name>-123". */
  async user(name: string): Promise<void> {
    await this.app.accounts.register(name, `pw-${name}-123`);
  }

  async stop(): Promise<void> {
    for (const close of this.closers.splice(0)) close();
    await Promise.all([this.tcp.close(), this.web.close()]);
    await this.app.close();
  }
}
