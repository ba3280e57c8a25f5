import { z } from 'zod';
import { WireError } from './wire-error.js';

/** A client's name for its request: a non-negative safe integer or a short string. */
export type RequestId = number | string;

const REQUEST_KEYS: ReadonlySet<string> = new Set(['type', 'id', 'op', 'token', 'args']);
const OP_NAME = /^[a-z0-9._-]{1,64}$/;
const requestId = z.union([z.int().min(0), z.string().min(1).max(64)]);
const object = z.record(z.string(), z.unknown());

/** What a request is: the reference `parseRequest`'s hand-written check must agree with. */
export const requestSchema = z.strictObject({
  type: z.literal('request'),
  id: requestId,
  op: z.string().regex(OP_NAME, 'an operation name is 1 to 64 characters of a-z, 0-9, ".", "_", "-"'),
  token: z.string().max(256).optional(),
  args: object.default({}),
});

// A client ignores fields it does not know in what the server sends (`z.object` drops them),
// so a newer server can add fields without breaking older clients; requests stay strict.
const responseSchema = z.discriminatedUnion('status', [
  z.object({ type: z.literal('response'), id: requestId.nullable(), status: z.literal('ok'), data: object }),
  z.object({
    type: z.literal('response'),
    id: requestId.nullable(),
    status: z.enum(['fail', 'error']),
    code: z.string(),
    message: z.string(),
    data: object.optional(),
  }),
]);

const eventSchema = z.object({
  type: z.literal('event'),
  event: z.string(),
  id: z.int().min(0).optional(),
  data: object,
});

export type Request = z.infer<typeof requestSchema>;
export type Response = z.infer<typeof responseSchema>;
export type Event = z.infer<typeof eventSchema>;

function problem(error: z.ZodError): string {
  const issue = error.issues[0]!;
  const where = issue.path.length > 0 ? `"${issue.path.join('.')}"` : 'the payload';
  return `bad envelope: ${where}: ${issue.message}`;
}

function isRequestId(id: unknown): id is RequestId {
  return typeof id === 'number' ? Number.isSafeInteger(id) && id >= 0 : typeof id === 'string' && id.length >= 1 && id.length <= 64;
}

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * `requestSchema`'s answer for a well-formed request, checked by hand: every request takes
 * this path, and zod's general machinery costs as much as the JSON parse before it. Anything
 * this does not accept goes to zod, which refuses it with the field named; a test holds the
 * two to the same verdicts.
 */
function wellFormedRequest(payload: unknown): Request | undefined {
  if (!isPlainRecord(payload)) return undefined;
  for (const key in payload) if (!REQUEST_KEYS.has(key)) return undefined;
  const { type, id, op, token, args } = payload;
  if (type !== 'request') return undefined;
  if (!isRequestId(id)) return undefined;
  if (typeof op !== 'string' || !OP_NAME.test(op)) return undefined;
  if (token !== undefined && (typeof token !== 'string' || token.length > 256)) return undefined;
  if (args !== undefined && !isPlainRecord(args)) return undefined;
  // As zod does: a token given as undefined is kept as a key, one absent stays absent.
  return Object.hasOwn(payload, 'token') ? { type, id, op, token, args: args ?? {} } : { type, id, op, args: args ?? {} };
}

/** Checks a client's payload is a well-formed request; the error carries the request's id when it was readable. */
export function parseRequest(payload: unknown): Request {
  const wellFormed = wellFormedRequest(payload);
  if (wellFormed) return wellFormed;
  const parsed = requestSchema.safeParse(payload);
  if (parsed.success) return parsed.data;
  const id = requestId.safeParse((payload as { id?: unknown } | null)?.id);
  throw new WireError('BAD_ENVELOPE', problem(parsed.error), id.success ? id.data : null);
}

/** Checks a server's payload is a response or an event; fields it does not know are dropped. */
export function parseServerMessage(payload: unknown): Response | Event {
  const type = (payload as { type?: unknown } | null)?.type;
  const parsed = (type === 'event' ? eventSchema : responseSchema).safeParse(payload);
  if (parsed.success) return parsed.data;
  throw new WireError('BAD_ENVELOPE', problem(parsed.error));
}

export function okResponse(id: RequestId | null, data: Record<string, unknown>): Response {
  return { type: 'response', id, status: 'ok', data };
}

export function failResponse(id: RequestId | null, code: string, message: string, data?: Readonly<Record<string, unknown>>): Response {
  return { type: 'response', id, status: 'fail', code, message, ...(data ? { data: { ...data } } : {}) };
}

export function errorResponse(id: RequestId | null, code: string, message: string, data?: Readonly<Record<string, unknown>>): Response {
  return { type: 'response', id, status: 'error', code, message, ...(data ? { data: { ...data } } : {}) };
}

/** A server push; `id` is set on deliveries the client must acknowledge. */
export function event(name: string, data: Record<string, unknown>, id?: number): Event {
  return { type: 'event', event: name, data, ...(id === undefined ? {} : { id }) };
}
