import { z } from 'zod';
import { WireError } from './wire-error.js';

/** A client's name for its request: a non-negative safe integer or a short string. */
export type RequestId = number | string;

const requestId = z.union([z.int().min(0), z.string().min(1).max(64)]);
const object = z.record(z.string(), z.unknown());

const requestSchema = z.strictObject({
  type: z.literal('request'),
  id: requestId,
  op: z.string().regex(/^[a-z0-9._-]{1,64}$/, 'an operation name is 1 to 64 characters of a-z, 0-9, ".", "_", "-"'),
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

/** Checks a client's payload is a well-formed request; the error carries the request's id when it was readable. */
export function parseRequest(payload: unknown): Request {
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
