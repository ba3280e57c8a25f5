import { expect } from 'chai';
import { crc32 } from 'node:zlib';
import {
  DEFAULT_MAX_PAYLOAD_BYTES,
  encodeFrame,
  FRAME_HEADER_BYTES,
  FrameBatch,
  FrameDecoder,
  SharedJson,
  WireError,
  type DecodedFrame,
} from '../../../interfaces/wire/index.js';
import { seededRandom } from '../../support/random.js';

const ALPHABET = ['a', 'Z', '0', ' ', '"', '\\', '\n', 'é', 'ß', '中', '😀', '\u0000', '}'];

function randomPayload(next: () => number): object {
  const text = Array.from({ length: Math.floor(next() * 40) }, () => ALPHABET[Math.floor(next() * ALPHABET.length)]).join('');
  return { type: 'request', id: Math.floor(next() * 1e6), op: 'send', args: { text, n: next(), list: [text, null, true] } };
}

function payloads(frames: DecodedFrame[]): unknown[] {
  return frames.map((frame) => {
    if ('error' in frame) throw frame.error;
    return frame.payload;
  });
}

/** Splits a buffer at the given cut points. */
function split(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [0, ...[...new Set(cuts)].sort((a, b) => a - b), bytes.length];
  return points.slice(1).map((end, i) => bytes.subarray(points[i], end));
}

describe('frames', () => {
  it('use the IEEE CRC-32 of the payload, big-endian, after the magic CHAT', () => {
    expect(crc32(Buffer.from('123456789'))).to.equal(0xcbf43926);
    const frame = encodeFrame({ a: 1 });
    const body = Buffer.from('{"a":1}');
    expect(frame.subarray(0, 4).toString('ascii')).to.equal('CHAT');
    expect(frame.readUInt32BE(4)).to.equal(crc32(body));
    expect(frame.readUInt32BE(8)).to.equal(body.length);
    expect(frame.subarray(FRAME_HEADER_BYTES).equals(body)).to.equal(true);
  });

  it('decode the same whether a stream of frames is split at every byte or not at all', () => {
    const next = seededRandom(1);
    const sent = Array.from({ length: 5 }, () => randomPayload(next));
    const stream = Buffer.concat(sent.map((p) => encodeFrame(p)));
    expect(payloads(new FrameDecoder().push(stream))).to.deep.equal(sent);
    const decoder = new FrameDecoder();
    const got = [];
    for (let i = 0; i < stream.length; i++) got.push(...payloads(decoder.push(stream.subarray(i, i + 1))));
    expect(got).to.deep.equal(sent);
  });

  it('decode random payloads split at random boundaries (200 seeded cases)', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const next = seededRandom(seed);
      const sent = Array.from({ length: 1 + Math.floor(next() * 8) }, () => randomPayload(next));
      const stream = Buffer.concat(sent.map((p) => encodeFrame(p)));
      const cuts = Array.from({ length: Math.floor(next() * 20) }, () => Math.floor(next() * stream.length));
      const decoder = new FrameDecoder();
      const got = split(stream, cuts).flatMap((chunk) => payloads(decoder.push(chunk)));
      expect(got, `seed ${seed}`).to.deep.equal(sent);
    }
  });

  it('survive random garbage: never throw, end fatally or wait for more, never hang (200 seeded cases)', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const next = seededRandom(seed);
      const garbage = Buffer.from(Array.from({ length: Math.floor(next() * 64) }, () => Math.floor(next() * 256)));
      // Half the cases start with the magic, so the length and checksum paths are reached too.
      const bytes = seed % 2 === 0 ? Buffer.concat([Buffer.from('CHAT'), garbage]) : garbage;
      const decoder = new FrameDecoder(256);
      const frames = split(bytes, [Math.floor(next() * bytes.length)]).flatMap((chunk) => decoder.push(chunk));
      for (const frame of frames.slice(0, -1)) expect('payload' in frame || !frame.error.fatal, `seed ${seed}`).to.equal(true);
      const last = frames.at(-1);
      if (last && 'error' in last && last.error.fatal) {
        expect(['BAD_MAGIC', 'FRAME_TOO_LARGE'], `seed ${seed}`).to.include(last.error.code);
        expect(decoder.push(encodeFrame({ after: 'death' }))).to.deep.equal([]);
      }
    }
  });

  it('report a bad checksum for that frame only, and go on with the next', () => {
    const bad = encodeFrame({ n: 1 });
    bad.writeUInt32BE((bad.readUInt32BE(4) + 1) >>> 0, 4);
    const frames = new FrameDecoder().push(Buffer.concat([bad, encodeFrame({ n: 2 })]));
    expect(frames).to.have.length(2);
    expect((frames[0] as { error: WireError }).error).to.include({ code: 'BAD_CHECKSUM', fatal: false });
    expect(frames[1]).to.deep.equal({ payload: { n: 2 } });
  });

  it('report bad JSON and invalid UTF-8 as BAD_JSON and go on', () => {
    const raw = (body: Buffer) => {
      const header = Buffer.alloc(FRAME_HEADER_BYTES);
      header.write('CHAT', 0, 'ascii');
      header.writeUInt32BE(crc32(body), 4);
      header.writeUInt32BE(body.length, 8);
      return Buffer.concat([header, body]);
    };
    const frames = new FrameDecoder().push(
      Buffer.concat([raw(Buffer.from('{"a":')), raw(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])), encodeFrame({ ok: true })]),
    );
    expect(frames.map((f) => ('error' in f ? f.error.code : 'payload'))).to.deep.equal(['BAD_JSON', 'BAD_JSON', 'payload']);
  });

  it('refuse bad magic as fatal', () => {
    const frames = new FrameDecoder().push(Buffer.from('HELO and some more bytes'));
    expect((frames[0] as { error: WireError }).error).to.include({ code: 'BAD_MAGIC', fatal: true });
  });

  it('accept a payload of exactly the limit and refuse one byte more as soon as the header arrives', () => {
    const limit = 64;
    const exact = encodeFrame({ s: 'x'.repeat(limit - 8) }, limit);
    expect(exact.length - FRAME_HEADER_BYTES).to.equal(limit);
    expect(payloads(new FrameDecoder(limit).push(exact))).to.have.length(1);
    const header = Buffer.alloc(FRAME_HEADER_BYTES);
    header.write('CHAT', 0, 'ascii');
    header.writeUInt32BE(limit + 1, 8);
    const frames = new FrameDecoder(limit).push(header);
    expect((frames[0] as { error: WireError }).error).to.include({ code: 'FRAME_TOO_LARGE', fatal: true });
    expect(() => encodeFrame({ s: 'x'.repeat(limit) }, limit)).to.throw(WireError, 'over the 64-byte limit');
  });

  it(`default to a ${DEFAULT_MAX_PAYLOAD_BYTES}-byte limit`, () => {
    expect(() => encodeFrame({ s: 'x'.repeat(DEFAULT_MAX_PAYLOAD_BYTES) })).to.throw(WireError);
    const header = Buffer.alloc(FRAME_HEADER_BYTES);
    header.write('CHAT', 0, 'ascii');
    header.writeUInt32BE(DEFAULT_MAX_PAYLOAD_BYTES + 1, 8);
    expect((new FrameDecoder().push(header)[0] as { error: WireError }).error.code).to.equal('FRAME_TOO_LARGE');
  });

  it('decode a 256 KiB frame fed one byte at a time (linear buffering)', () => {
    const sent = { s: 'y'.repeat(256 * 1024) };
    const frame = encodeFrame(sent);
    const decoder = new FrameDecoder();
    const got = [];
    for (let i = 0; i < frame.length; i++) got.push(...payloads(decoder.push(frame.subarray(i, i + 1))));
    expect(got).to.deep.equal([sent]);
  });
});

describe('a batch of frames', () => {
  it('frames payloads that share a head exactly as whole ones, in the order added, across batches', () => {
    const head = new SharedJson('{"type":"event","event":"message","data":{"text":"é 中 😀 \\"quoted\\""},"id":');
    const first = new FrameBatch();
    first.add('{"type":"response","id":1,"status":"ok"}');
    first.addShared(head, '1}'); // the first frame writes the head as text
    first.addShared(head, '22}'); // the second copies the bytes kept
    first.add('{"plain":true}');
    const second = new FrameBatch();
    second.addShared(head, '333}');
    const bytes = Buffer.concat([first.take(), second.take()]);
    const expected = Buffer.concat(
      ['{"type":"response","id":1,"status":"ok"}', `${head.json}1}`, `${head.json}22}`, '{"plain":true}', `${head.json}333}`].map((json) => encodeFrame(JSON.parse(json) as object)),
    );
    expect(bytes.equals(expected), 'the same bytes, checksums included').to.equal(true);
    expect(payloads(new FrameDecoder().push(bytes)).map((payload) => (payload as { id?: number }).id)).to.deep.equal([1, 1, 22, undefined, 333]);
  });

  it('checksums each payload as zlib does, whether written in one piece or after a shared head, short or long, ASCII or not', () => {
    const texts = [0, 1, 7, 63, 64, 65, 200].flatMap((n) => ['x'.repeat(n), `é${'x'.repeat(n)}`, `${'x'.repeat(n)}😀`]);
    for (const head of [null, new SharedJson('{"head":"é","id":'), new SharedJson('{"id":')]) {
      const batch = new FrameBatch();
      for (const text of texts) for (let twice = 0; twice < 2; twice++) (head ? batch.addShared(head, text) : batch.add(text));
      const bytes = batch.take();
      for (let at = 0, n = 0; at < bytes.length; n++) {
        const length = bytes.readUInt32BE(at + 8);
        const body = bytes.subarray(at + FRAME_HEADER_BYTES, at + FRAME_HEADER_BYTES + length);
        const expected = `${head?.json ?? ''}${texts[Math.floor(n / 2)]}`;
        expect(body.toString('utf8'), `frame ${n}`).to.equal(expected);
        expect(bytes.readUInt32BE(at + 4), `frame ${n}: ${JSON.stringify(expected)}`).to.equal(crc32(Buffer.from(expected)));
        at += FRAME_HEADER_BYTES + length;
      }
    }
  });

  it('counts a shared head in the frame limit, refusing a payload one byte over it and adding nothing', () => {
    const head = new SharedJson('{"id":');
    const batch = new FrameBatch(head.length + 3);
    batch.addShared(head, '12}');
    expect(() => batch.addShared(head, '123}')).to.throw(WireError, `over the ${head.length + 3}-byte limit`);
    expect(batch.bytes).to.equal(FRAME_HEADER_BYTES + head.length + 3);
    expect(payloads(new FrameDecoder().push(batch.take()))).to.deep.equal([{ id: 12 }]);
  });
});

describe('a delivery serialised once for all its recipients', () => {
  it('is the same JSON as the event built the ordinary way, whatever the text holds', async () => {
    const { messageEventHead, messageEventTail, toMessagePayload, event } = await import('../../../interfaces/wire/index.js');
    const message = {
      kind: 'group' as const,
      from: { id: 1, username: 'alice' as never },
      fromAdmin: false,
      group: { id: 3, name: 'team "🚀"', creator: 'alice' as never },
      text: 'line one\n\ttwo \\ "quoted" </script> \u2028',
      sentAt: new Date(Date.UTC(2026, 10, 25)),
    };
    for (const id of [1, 42, 2 ** 40]) {
      const json = messageEventHead(message).json + messageEventTail(id);
      expect(json).to.equal(JSON.stringify(event('message', { ...toMessagePayload(message) }, id)));
    }
  });

  it('is shared by the recipients pushed one after another, and right again for a message framed after another', async () => {
    const { messageEventHead, messageEventTail, toMessagePayload, event } = await import('../../../interfaces/wire/index.js');
    const sentAt = new Date(Date.UTC(2026, 11, 6));
    const one = { kind: 'private' as const, from: { id: 1, username: 'alice' as never }, fromAdmin: false, text: 'one', sentAt };
    const two = { ...one, text: 'two' };
    const head = messageEventHead(one);
    expect(messageEventHead(one)).to.equal(head);
    for (const message of [two, one, two]) {
      expect(messageEventHead(message).json + messageEventTail(7)).to.equal(JSON.stringify(event('message', { ...toMessagePayload(message) }, 7)));
    }
  });
});
