import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface MetricsServerOptions {
  readonly host: string;
  /** 0 picks a free port; `listen()` says which. */
  readonly port: number;
  readonly registry: Registry;
  /** Resolves when storage answers; rejects (or takes longer than HEALTH_TIMEOUT_MS) when it does not. */
  readonly probe: () => Promise<unknown>;
}

/** How long `/health` waits for storage before calling it away. */
export const HEALTH_TIMEOUT_MS = 2000;

/**
 * The operator's HTTP listener, apart from the chat port: `GET /metrics` in Prometheus text
 * format, `GET /health` 200 `{"status":"ok"}` while storage answers, 503 otherwise.
 */
export class MetricsServer {
  private readonly server: Server;

  constructor(private readonly options: MetricsServerOptions) {
    this.server = createServer((request, response) => void this.answer(request, response));
  }

  /** Starts listening; resolves with the address bound. */
  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (request.method !== 'GET' && request.method !== 'HEAD') return send(response, 405, 'text/plain', 'only GET\n');
    if (path === '/metrics') {
      try {
        return send(response, 200, this.options.registry.contentType, await this.options.registry.metrics());
      } catch (error) {
        return send(response, 500, 'text/plain', `cannot collect the metrics: ${(error as Error).message}\n`);
      }
    }
    if (path === '/health') {
      const healthy = await within(this.options.probe(), HEALTH_TIMEOUT_MS);
      return send(response, healthy ? 200 : 503, 'application/json', JSON.stringify(healthy ? { status: 'ok' } : { status: 'unavailable', reason: 'storage does not answer' }));
    }
    send(response, 404, 'text/plain', 'not found: GET /metrics or /health\n');
  }
}

/** Whether the promise resolves within `ms`. */
function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  return Promise.race([promise.then(() => true, () => false), late]).finally(() => clearTimeout(timer));
}

function send(response: ServerResponse, status: number, type: string, body: string): void {
  response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
}
