import { connect, type Socket } from 'node:net';

const REGISTER_TIMEOUT_MS = 10_000;
const JOIN_TIMEOUT_MS = 10_000;

/**
 * A lean IRC client for the load generator, the IRC twin of `Peer`: registers with
 * NICK/USER, sends PRIVMSGs coalesced per event-loop turn, answers PING, and hands the text
 * of every PRIVMSG it reads to `onPrivmsg`. IRC has no acknowledgement, so reading the
 * line is all a delivery is.
 */
export class IrcPeer {
  onPrivmsg: (text: string) => void = () => {};
  private partial = '';
  private corked = false;
  private closed: Error | undefined;
  /** Resolves the pending registration or join when the line it waits for arrives. */
  private awaiting: { match(line: string): boolean; resolve(): void; reject(error: Error): void } | undefined;

  private constructor(
    private readonly socket: Socket,
    readonly nick: string,
  ) {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => this.receive(chunk));
    socket.on('error', (error) => this.fail(new Error(`connection lost: ${error.message}`)));
    socket.on('close', () => this.fail(new Error('connection closed')));
  }

  /** Connects to 127.0.0.1:`port` and registers as `nick`; resolves on the server's 001 welcome. */
  static register(port: number, nick: string): Promise<IrcPeer> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, noDelay: true });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`${nick} not registered on 127.0.0.1:${port} within ${REGISTER_TIMEOUT_MS} ms`));
      }, REGISTER_TIMEOUT_MS);
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      socket.once('connect', () => {
        socket.removeAllListeners('error');
        const peer = new IrcPeer(socket, nick);
        peer
          .until((line) => /^:\S+ 001 /.test(line), `NICK ${nick}\r\nUSER ${nick} 0 * :parley bench\r\n`)
          .then(
            () => resolve(peer),
            (error: unknown) => {
              socket.destroy();
              reject(error as Error);
            },
          )
          .finally(() => clearTimeout(timer));
      });
    });
  }

  /** Joins `channel`; resolves once the server has sent its member list (366). */
  async join(channel: string): Promise<void> {
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${this.nick} not in ${channel} within ${JOIN_TIMEOUT_MS} ms`)), JOIN_TIMEOUT_MS).unref());
    await Promise.race([this.until((line) => /^:\S+ 366 /.test(line), `JOIN ${channel}\r\n`), timeout]);
  }

  /** Becomes an IRC operator and sets user mode +F (ngircd's relaxed flood protection); resolves once the server confirms +F. */
  async relaxFloodProtection(operator: string, password: string): Promise<void> {
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${this.nick} got no +F within ${JOIN_TIMEOUT_MS} ms`)), JOIN_TIMEOUT_MS).unref());
    const confirmed = (line: string) => line.includes(` MODE ${this.nick} :+F`) || line.endsWith(` MODE ${this.nick} +F`);
    await Promise.race([this.until(confirmed, `OPER ${operator} ${password}\r\nMODE ${this.nick} +F\r\n`), timeout]);
  }

  privmsg(target: string, text: string): void {
    if (this.closed) return;
    this.write(`PRIVMSG ${target} :${text}\r\n`);
  }

  close(): Promise<void> {
    this.fail(new Error('closed by the load generator'));
    return new Promise((resolve) => {
      if (this.socket.destroyed) return resolve();
      this.socket.once('close', () => resolve());
      this.socket.end('QUIT\r\n');
      setTimeout(() => this.socket.destroy(), 2000).unref();
    });
  }

  private until(match: (line: string) => boolean, send: string): Promise<void> {
    if (this.closed) return Promise.reject(this.closed);
    return new Promise((resolve, reject) => {
      this.awaiting = { match, resolve, reject };
      this.write(send);
    });
  }

  private write(text: string): void {
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(text, 'latin1');
  }

  private receive(chunk: string): void {
    const lines = (this.partial + chunk).split('\r\n');
    this.partial = lines.pop()!;
    for (const line of lines) {
      const privmsg = line.indexOf(' PRIVMSG ');
      if (privmsg > 0) {
        const text = line.indexOf(' :', privmsg + 9);
        this.onPrivmsg(text < 0 ? '' : line.slice(text + 2));
      } else if (line.startsWith('PING ')) {
        this.write(`PONG ${line.slice(5)}\r\n`);
      } else if (line.startsWith('ERROR ')) {
        this.fail(new Error(`the server closed the connection: ${line}`));
      } else if (this.awaiting && /^:\S+ [45]\d\d /.test(line) && !/^:\S+ 422 /.test(line)) {
        // An error numeric while registering or joining (422, no MOTD, is only a notice).
        this.fail(new Error(`the server refused: ${line}`));
      } else if (this.awaiting?.match(line)) {
        const { resolve } = this.awaiting;
        this.awaiting = undefined;
        resolve();
      }
    }
  }

  private fail(error: Error): void {
    this.closed ??= error;
    const awaiting = this.awaiting;
    this.awaiting = undefined;
    awaiting?.reject(this.closed);
  }
}

/** Closes every peer; errors are of no interest any more. */
export async function closeAllIrc(peers: readonly IrcPeer[]): Promise<void> {
  await Promise.all(peers.map((peer) => peer.close().catch(() => undefined)));
}
