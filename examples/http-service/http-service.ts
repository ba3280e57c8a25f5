import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { DomainError, SessionHubError, StorageError, type ChatApp, type DomainErrorCode, type PageArgs, type SendOptions, type UserHandle } from 'parley';

/**
 * The header that stands for this service's own authentication. A real service would check a
 * session cookie or a bearer token here and find its user; parley trusts whatever user the
 * service names, so this is the one place to get right.
 */
export const USER_HEADER = 'x-user';

/** Largest request body taken, in bytes: a message is at most 4000 characters. */
const MAX_BODY_BYTES = 64 * 1024;

/** How each refusal reads in HTTP; any other DomainError is a 400. */
const STATUS: Partial<Record<DomainErrorCode, number>> = {
  UNKNOWN_USER: 404,
  UNKNOWN_GROUP: 404,
  USER_BANNED: 403,
  NOT_ADMIN: 403,
  NOT_FRIENDS: 403,
  NOT_MEMBER: 403,
  USERNAME_TAKEN: 409,
  ALREADY_FRIENDS: 409,
  QUEUE_FULL: 429,
};

/** A refusal this service makes itself, before parley is asked. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

type Json = Record<string, unknown>;

/** What a route is given: the request, its caller's handle and body when it asks for them, and the path's captures. */
interface Call {
  readonly request: IncomingMessage;
  readonly response: ServerResponse;
  readonly path: RegExpMatchArray;
  readonly query: URLSearchParams;
  user(): Promise<UserHandle>;
  body(): Promise<Json>;
}

/**
 * An HTTP face for a chat application the service embeds. Every route under `/me` acts for
 * the user the `X-User` header names, through `app.as(...)`: no password is asked.
 */
export function createHttpService(app: ChatApp): Server {
  const routes: [method: string, path: RegExp, handle: (call: Call) => Promise<unknown>][] = [
    // The service signs its users up itself; parley's password is random and never used, since the service vouches for them.
    ['POST', /^\/users$/, async ({ body }) => app.accounts.register(text(await body(), 'username'), randomBytes(24).toString('base64url'))],
    ['GET', /^\/me$/, async ({ user }) => (await user()).profile()],
    ['GET', /^\/me\/friends$/, async ({ user, query }) => (await user()).friends(page(query))],
    ['POST', /^\/me\/friends$/, async ({ user, body }) => (await user()).addFriend(text(await body(), 'username'))],
    ['POST', /^\/me\/messages$/, async ({ user, body }) => {
      const args = await body();
      return (await user()).send(text(args, 'to'), text(args, 'text'), sendOptions(args));
    }],
    ['GET', /^\/me\/groups$/, async ({ user, query }) => (await user()).groups(page(query))],
    ['POST', /^\/me\/groups$/, async ({ user, body }) => (await user()).createGroup(text(await body(), 'name'))],
    // Members by the group's name (and its creator's, when the name alone is ambiguous), as the API names them.
    ['POST', /^\/me\/groups\/([^/]+)\/members$/, async ({ user, body, path }) => {
      const args = await body();
      const group = { name: decodeURIComponent(path[1]!), creator: optionalText(args, 'creator') };
      return (await user()).addGroupMember(group, text(args, 'username'));
    }],
    // Messages by the group's id, as GET /me/groups lists it.
    ['POST', /^\/me\/groups\/(\d+)\/messages$/, async ({ user, body, path }) => {
      const args = await body();
      return (await user()).sendGroup(Number(path[1]), text(args, 'text'), sendOptions(args));
    }],
    ['GET', /^\/me\/inbox$/, async ({ user, query }) => (await user()).inbox(page(query))],
    ['POST', /^\/me\/inbox\/ack$/, async ({ user, body }) => (await user()).ack(ids(await body()))],
    ['GET', /^\/me\/inbox\/stream$/, async ({ user, request, response }) => stream(request, response, await user())],
  ];

  return createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const route = routes.find(([method, path]) => method === request.method && path.test(url.pathname));
    const work = route
      ? route[2]({
          request,
          response,
          path: url.pathname.match(route[1])!,
          query: url.searchParams,
          user: () => userOf(app, request),
          body: () => readJson(request),
        })
      : Promise.reject(new HttpError(404, 'NOT_FOUND', `no route ${request.method} ${url.pathname}`));
    work.then(
      (result) => {
        if (!response.headersSent) reply(response, request.method === 'POST' ? 201 : 200, result);
      },
      (error: unknown) => replyError(response, error),
    );
  });
}

/** The user the request comes from, as the service's authentication (here, the pretend header) says. */
async function userOf(app: ChatApp, request: IncomingMessage): Promise<UserHandle> {
  const name = request.headers[USER_HEADER];
  if (typeof name !== 'string' || name === '') throw new HttpError(401, 'NOT_AUTHENTICATED', `say who you are in the ${USER_HEADER} header`);
  return app.as(name);
}

/**
 * Server-sent events: one `message` event per inbox message, the queue first, then live ones,
 * until the client goes away or the user's session ends (`end` event). The client acknowledges
 * what it handled with POST /me/inbox/ack.
 */
async function stream(request: IncomingMessage, response: ServerResponse, user: UserHandle): Promise<void> {
  const subscription = await user.subscribe();
  request.socket.on('close', () => void subscription.close());
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  response.flushHeaders();
  for await (const message of subscription) response.write(`event: message\nid: ${message.id}\ndata: ${JSON.stringify(message)}\n\n`);
  response.end(`event: end\ndata: ${JSON.stringify(subscription.ended)}\n\n`);
}

async function readJson(request: IncomingMessage): Promise<Json> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'BODY_TOO_LARGE', `a request body is at most ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'BAD_JSON', 'the body must be a JSON object');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new HttpError(400, 'BAD_JSON', 'the body must be a JSON object');
  return parsed as Json;
}

function text(body: Json, key: string): string {
  const value = body[key];
  if (typeof value !== 'string') throw new HttpError(400, 'BAD_ARGUMENTS', `"${key}" must be a string`);
  return value;
}

function optionalText(body: Json, key: string): string | undefined {
  return body[key] === undefined ? undefined : text(body, key);
}

function sendOptions(body: Json): SendOptions {
  const clientMsgId = optionalText(body, 'clientMsgId');
  return clientMsgId === undefined ? {} : { clientMsgId };
}

function ids(body: Json): number[] {
  const value = body.ids;
  if (!Array.isArray(value) || !value.every((id) => Number.isSafeInteger(id))) throw new HttpError(400, 'BAD_ARGUMENTS', '"ids" must be an array of message ids');
  return value as number[];
}

function page(query: URLSearchParams): PageArgs {
  const limit = query.get('limit');
  return { limit: limit === null ? undefined : Number(limit), cursor: query.get('cursor') ?? undefined };
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body ?? {}));
}

function replyError(response: ServerResponse, error: unknown): void {
  if (response.headersSent) return void response.destroy();
  if (error instanceof HttpError) return reply(response, error.status, { code: error.code, message: error.message });
  if (error instanceof DomainError) return reply(response, STATUS[error.code] ?? 400, { code: error.code, message: error.message, ...error.details });
  if (error instanceof StorageError || error instanceof SessionHubError) {
    response.setHeader('retry-after', Math.ceil((error.retryAfterMs ?? 1000) / 1000));
    return reply(response, 503, { code: error.code, message: error.message });
  }
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  reply(response, 500, { code: 'INTERNAL', message: 'the service failed; see its log' });
}
