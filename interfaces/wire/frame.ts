import { crc32 } from 'node:zlib';
import { WireError } from './wire-error.js';

export const FRAME_MAGIC = Buffer.from('CHAT', 'ascii');
/** The magic as one big-endian word: written and compared as a number, not copied as bytes. */
const MAGIC_WORD = FRAME_MAGIC.readUInt32BE(0);
export const FRAME_HEADER_BYTES = 12;
/** The default largest payload, in bytes; servers can be configured otherwise. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;

/** Encodes one payload as a frame; refuses payloads over the limit so the sender learns it, not the peer. */
export function encodeFrame(payload: object, maxPayloadBytes = DEFAULT_MAX_PAYLOAD_BYTES): Buffer {
  const batch = new FrameBatch(maxPayloadBytes);
  batch.add(JSON.stringify(payload));
  return batch.take();
}

/**
 * The start of a payload that many frames share (a group message's event, up to its
 * recipient's id). The first frame writes it as any payload; from the second on it is copied
 * as bytes already encoded, and its checksum is carried on into the rest of each frame's, so
 * a message to a hundred members is encoded and checksummed about once.
 */
export class SharedJson {
  /** Bytes the JSON takes in UTF-8. */
  readonly length: number;
  private encoded: { readonly bytes: Buffer; readonly crc: number } | undefined;
  private framed = false;

  constructor(readonly json: string) {
    this.length = Buffer.byteLength(json, 'utf8');
  }

  /** Writes the JSON at `at` in `out`; returns its checksum. */
  writeInto(out: Buffer, at: number): number {
    if (this.encoded) {
      out.set(this.encoded.bytes, at);
      return this.encoded.crc;
    }
    const crc = writeChecked(out, at, this.json, this.length, 0);
    // Kept only once a second frame shares it: a message to one recipient costs no copy.
    if (this.framed) this.encoded = { bytes: Buffer.from(out.subarray(at, at + this.length)), crc };
    this.framed = true;
    return crc;
  }
}

/**
 * Payloads gathered for one socket write, already serialised, framed together into one
 * buffer: a turn's answers and pushes to a connection cost one allocation and one write
 * instead of one of each per frame.
 */
export class FrameBatch {
  private readonly heads: (SharedJson | null)[] = [];
  private readonly tails: string[] = [];
  private readonly lengths: number[] = [];
  /** Bytes the frames gathered so far will take, headers included. */
  bytes = 0;

  constructor(private readonly maxPayloadBytes = DEFAULT_MAX_PAYLOAD_BYTES) {}

  /** Adds one payload; refuses one over the limit, adding nothing, so the sender learns it, not the peer. */
  add(json: string): void {
    this.push(null, json, Buffer.byteLength(json, 'utf8'));
  }

  /** Adds one payload made of a `head` other frames share and this frame's `tail`, as `add` does. */
  addShared(head: SharedJson, tail: string): void {
    this.push(head, tail, head.length + Buffer.byteLength(tail, 'utf8'));
  }

  private push(head: SharedJson | null, tail: string, length: number): void {
    if (length > this.maxPayloadBytes) {
      throw new WireError('FRAME_TOO_LARGE', `a payload of ${length} bytes is over the ${this.maxPayloadBytes}-byte limit`);
    }
    this.heads.push(head);
    this.tails.push(tail);
    this.lengths.push(length);
    this.bytes += FRAME_HEADER_BYTES + length;
  }

  /** The gathered frames, in the order added, as one buffer. */
  take(): Buffer {
    const out = Buffer.allocUnsafe(this.bytes);
    let at = 0;
    for (let i = 0; i < this.tails.length; i++) {
      const length = this.lengths[i]!;
      const body = at + FRAME_HEADER_BYTES;
      const head = this.heads[i];
      out.writeUInt32BE(MAGIC_WORD, at);
      const crc = head
        ? writeChecked(out, body + head.length, this.tails[i]!, length - head.length, head.writeInto(out, body))
        : writeChecked(out, body, this.tails[i]!, length, 0);
      out.writeUInt32BE(crc, at + 4);
      out.writeUInt32BE(length, at + 8);
      at = body + length;
    }
    return out;
  }
}

/** The CRC-32 zlib computes (IEEE polynomial, reflected), a byte at a time. */
const CRC_TABLE = Int32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c;
});

/**
 * Up to this many bytes of ASCII, a frame's text is copied and checksummed in JavaScript:
 * a call into `Buffer#write` and one into zlib (with the view it needs) cost about 300 ns
 * however short the text, the loop about 5 ns a byte. A group message's frames differ only
 * in their last few bytes (the id), so that is nearly all of what each costs.
 */
const SHORT_TEXT_BYTES = 64;

/** Writes `text` (`bytes` long in UTF-8) at `at` in `out`; returns the checksum of the bytes written, carried on from `crc`. */
function writeChecked(out: Buffer, at: number, text: string, bytes: number, crc: number): number {
  // As many bytes as characters: ASCII, one byte each.
  if (bytes > SHORT_TEXT_BYTES || bytes !== text.length) {
    out.write(text, at, bytes, 'utf8');
    return crc32(out.subarray(at, at + bytes), crc);
  }
  let c = ~crc;
  for (let i = 0; i < bytes; i++) {
    const byte = text.charCodeAt(i);
    out[at + i] = byte;
    c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  }
  return ~c >>> 0;
}

export type DecodedFrame = { readonly payload: unknown } | { readonly error: WireError };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Turns a byte stream into frames, however it is split. A bad checksum or bad JSON spoils
 * one frame and decoding goes on; bad magic or an oversized length is fatal, after which
 * the decoder yields nothing more. A frame that lies within one chunk (nearly every frame) is
 * read where it lies, with one view of its payload made; chunks are joined only for a frame
 * that spans them.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  /** Where the unread bytes of the first chunk begin. */
  private offset = 0;
  private buffered = 0;
  private dead = false;

  constructor(private readonly maxPayloadBytes = DEFAULT_MAX_PAYLOAD_BYTES) {}

  /** Bytes of a frame begun but not yet complete. */
  get pendingBytes(): number {
    return this.buffered;
  }

  /** Feeds bytes; returns the frames they complete, in order. */
  push(chunk: Buffer): DecodedFrame[] {
    if (this.dead || chunk.length === 0) return [];
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: DecodedFrame[] = [];
    while (this.buffered >= FRAME_HEADER_BYTES) {
      let first = this.contiguous(FRAME_HEADER_BYTES);
      let at = this.offset;
      if (first.readUInt32BE(at) !== MAGIC_WORD) {
        return this.die(frames, new WireError('BAD_MAGIC', 'not a parley frame: it must start with "CHAT"'));
      }
      const length = first.readUInt32BE(at + 8);
      if (length > this.maxPayloadBytes) {
        return this.die(frames, new WireError('FRAME_TOO_LARGE', `a frame of ${length} bytes is over the ${this.maxPayloadBytes}-byte limit`));
      }
      const size = FRAME_HEADER_BYTES + length;
      if (this.buffered < size) break;
      first = this.contiguous(size);
      at = this.offset;
      frames.push(decodePayload(first.subarray(at + FRAME_HEADER_BYTES, at + size), first.readUInt32BE(at + 4)));
      this.consume(size);
    }
    return frames;
  }

  private die(frames: DecodedFrame[], error: WireError): DecodedFrame[] {
    this.dead = true;
    this.chunks = [];
    this.offset = 0;
    this.buffered = 0;
    frames.push({ error });
    return frames;
  }

  /**
   * The first chunk, once it holds the first `n` unread bytes: joined from the chunks they
   * span only when it does not already (so a trickle of bytes stays linear).
   */
  private contiguous(n: number): Buffer {
    const first = this.chunks[0]!;
    if (first.length - this.offset >= n) return first;
    let spanned = 1;
    let size = first.length - this.offset;
    while (size < n) size += this.chunks[spanned++]!.length;
    const joined = Buffer.concat([first.subarray(this.offset), ...this.chunks.slice(1, spanned)], size);
    this.chunks.splice(0, spanned, joined);
    this.offset = 0;
    return joined;
  }

  /** Marks the first `n` unread bytes, all in the first chunk, read. */
  private consume(n: number): void {
    this.offset += n;
    this.buffered -= n;
    if (this.offset === this.chunks[0]!.length) {
      this.chunks.shift();
      this.offset = 0;
    }
  }
}

function decodePayload(body: Buffer, checksum: number): DecodedFrame {
  if (crc32(body) !== checksum) return { error: new WireError('BAD_CHECKSUM', 'the frame\'s checksum does not match its payload') };
  try {
    return { payload: JSON.parse(utf8.decode(body)) };
  } catch {
    return { error: new WireError('BAD_JSON', 'the payload is not UTF-8 JSON') };
  }
}
