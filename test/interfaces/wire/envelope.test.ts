import { expect } from 'chai';
import { parseRequest, parseServerMessage, WireError } from '../../../interfaces/wire/index.js';
import { requestSchema } from '../../../interfaces/wire/envelope.js';

function refusal(payload: unknown): WireError {
  try {
    parseRequest(payload);
  } catch (error) {
    if (error instanceof WireError) return error;
    throw error;
  }
  return expect.fail('accepted a bad request');
}

describe('envelopes', () => {
  it('accept a request, defaulting its args to {}', () => {
    expect(parseRequest({ type: 'request', id: 7, op: 'whoami', token: 't' })).to.deep.equal({
      type: 'request',
      id: 7,
      op: 'whoami',
      token: 't',
      args: {},
    });
    expect(parseRequest({ type: 'request', id: 'abc', op: 'login', args: { username: 'a' } }).args).to.deep.equal({ username: 'a' });
  });

  it('refuse each bad field by name, keeping the id when it was readable', () => {
    const cases: [unknown, string, unknown][] = [
      [{ type: 'request', id: 1 }, '"op"', 1],
      [{ type: 'request', id: 1, op: 'Send Now' }, '"op"', 1],
      [{ type: 'request', id: -1, op: 'x' }, '"id"', null],
      [{ type: 'request', id: 1.5, op: 'x' }, '"id"', null],
      [{ type: 'request', id: 'x'.repeat(65), op: 'x' }, '"id"', null],
      [{ type: 'request', id: 2, op: 'x', args: [] }, '"args"', 2],
      [{ type: 'request', id: 3, op: 'x', token: 5 }, '"token"', 3],
      [{ type: 'reply', id: 4, op: 'x' }, '"type"', 4],
      [{ type: 'request', id: 5, op: 'x', tokn: 'typo' }, 'tokn', 5],
      [[1, 2], 'the payload', null],
      [null, 'the payload', null],
    ];
    for (const [payload, field, id] of cases) {
      const error = refusal(payload);
      expect(error.code, JSON.stringify(payload)).to.equal('BAD_ENVELOPE');
      expect(error.message, JSON.stringify(payload)).to.contain(field);
      expect(error.requestId, JSON.stringify(payload)).to.equal(id);
      expect(error.fatal).to.equal(false);
    }
  });

  it('give the schema\'s verdict on every edge case, through the hand-written check of well-formed requests', () => {
    const base = { type: 'request', id: 1, op: 'send' };
    const variants: unknown[] = [
      base,
      { ...base, args: { to: 'bob', text: 'hi' } },
      { ...base, token: 't'.repeat(256) },
      { ...base, token: 't'.repeat(257) },
      { ...base, token: undefined },
      { ...base, token: null },
      { ...base, args: null },
      { ...base, args: undefined },
      { ...base, args: [] },
      { ...base, args: 'x' },
      { ...base, id: 0 },
      { ...base, id: Number.MAX_SAFE_INTEGER },
      { ...base, id: Number.MAX_SAFE_INTEGER + 1 },
      { ...base, id: -0 },
      { ...base, id: Number.NaN },
      { ...base, id: '' },
      { ...base, id: 'x'.repeat(64) },
      { ...base, id: 'x'.repeat(65) },
      { ...base, id: null },
      { ...base, id: true },
      { ...base, op: '' },
      { ...base, op: 'a'.repeat(64) },
      { ...base, op: 'a'.repeat(65) },
      { ...base, op: 'Send' },
      { ...base, op: 'send\n' },
      { ...base, op: 7 },
      { ...base, type: 'Request' },
      { ...base, extra: 1 },
      JSON.parse('{"type":"request","id":1,"op":"x","__proto__":{"admin":true}}'),
      Object.assign(Object.create({ inherited: 1 }), base),
      'request',
      42,
    ];
    for (const payload of variants) {
      const reference = requestSchema.safeParse(payload);
      const label = String(JSON.stringify(payload)).slice(0, 80);
      if (reference.success) expect(parseRequest(payload), label).to.deep.equal(reference.data);
      else expect(() => parseRequest(payload), label).to.throw(WireError);
    }
  });

  it('read responses and events on the client side, and refuse junk', () => {
    expect(parseServerMessage({ type: 'response', id: 1, status: 'ok', data: {} })).to.include({ status: 'ok' });
    expect(parseServerMessage({ type: 'response', id: null, status: 'error', code: 'BAD_MAGIC', message: 'm' })).to.include({ id: null });
    expect(parseServerMessage({ type: 'event', event: 'message', id: 3, data: { text: 'hi' } })).to.include({ id: 3 });
    expect(() => parseServerMessage({ type: 'response', id: 1, status: 'fail', data: {} })).to.throw(WireError);
    expect(() => parseServerMessage({ type: 'event', data: {} })).to.throw(WireError);
    expect(() => parseServerMessage('hello')).to.throw(WireError);
  });

  it('drop fields a client does not know from responses and events, so a newer server breaks no older client', () => {
    expect(parseServerMessage({ type: 'response', id: 1, status: 'ok', data: { a: 1 }, servedBy: 'node-2' })).to.deep.equal({ type: 'response', id: 1, status: 'ok', data: { a: 1 } });
    expect(parseServerMessage({ type: 'response', id: 2, status: 'fail', code: 'C', message: 'm', hint: 'h' })).to.not.have.property('hint');
    expect(parseServerMessage({ type: 'event', event: 'ping', data: {}, sentAt: 'now' })).to.deep.equal({ type: 'event', event: 'ping', data: {} });
  });
});
