import { expect } from 'chai';
import { MAX_PAGE_SIZE } from '../../../application/paging.js';
import { GROUP_NAME_MAX_LENGTH, USERNAME_MAX_LENGTH } from '../../../domain/index.js';
import { encodeFrame, FRAME_HEADER_BYTES, MIN_MAX_PAYLOAD_BYTES, okResponse } from '../../../interfaces/wire/index.js';

const payloadBytes = (envelope: object) => encodeFrame(envelope, Infinity).length - FRAME_HEADER_BYTES;

describe('listing pages on the wire', () => {
  const widest = Number.MAX_SAFE_INTEGER;
  const username = 'u'.repeat(USERNAME_MAX_LENGTH);
  /** The answer of a full page of the widest rows, to a request with the longest id. */
  const largestAnswer = (key: string, row: object) =>
    payloadBytes(okResponse('i'.repeat(64), { [key]: Array.from({ length: MAX_PAGE_SIZE }, () => row), nextCursor: String(widest) }));

  it(`fit ${MAX_PAGE_SIZE} rows with the longest names in the smallest frame limit, with a tenth to spare`, () => {
    const answers = [
      largestAnswer('friends', { username, isAdmin: false, banned: false, online: false }),
      largestAnswer('users', { username, isAdmin: false, banned: false, online: false }),
      // A group name's characters take at most 4 bytes in UTF-8 (an emoji) or 2 escaped (a quote).
      ...['😀', '"', '\\'].map((character) =>
        largestAnswer('groups', { id: widest, name: character.repeat(GROUP_NAME_MAX_LENGTH), creator: username, online: widest, total: widest, banned: false }),
      ),
    ];
    for (const bytes of answers) expect(bytes).to.be.below(MIN_MAX_PAYLOAD_BYTES * 0.9);
  });
});
