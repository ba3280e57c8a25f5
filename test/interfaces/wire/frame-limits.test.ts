import { expect } from 'chai';
import { GROUP_NAME_MAX_LENGTH, MESSAGE_MAX_LENGTH, USERNAME_MAX_LENGTH, type ChatMessage, type Username } from '../../../domain/index.js';
import { encodeFrame, event, FRAME_HEADER_BYTES, LARGEST_EVENT_BYTES, MIN_MAX_PAYLOAD_BYTES, toMessagePayload } from '../../../interfaces/wire/index.js';

const payloadBytes = (envelope: object) => encodeFrame(envelope, Infinity).length - FRAME_HEADER_BYTES;

describe('frame limits', () => {
  const sender = { id: Number.MAX_SAFE_INTEGER, username: 'm'.repeat(USERNAME_MAX_LENGTH) as Username };
  const group = { id: Number.MAX_SAFE_INTEGER, name: '😀'.repeat(GROUP_NAME_MAX_LENGTH), creator: 'c'.repeat(USERNAME_MAX_LENGTH) as Username };

  it('bound every message event by LARGEST_EVENT_BYTES, whatever its characters', () => {
    for (const character of ['😀', '"', '\\', '\n', '\t', 'é', '中', 'x']) {
      const message: ChatMessage = { kind: 'group', from: sender, fromAdmin: false, group: { ...group, name: character.repeat(GROUP_NAME_MAX_LENGTH) }, text: character.repeat(MESSAGE_MAX_LENGTH), sentAt: new Date(8.64e15) };
      expect(payloadBytes(event('message', { ...toMessagePayload(message) }, Number.MAX_SAFE_INTEGER)), JSON.stringify(character)).to.be.at.most(LARGEST_EVENT_BYTES);
    }
    const largest: ChatMessage = { kind: 'group', from: sender, fromAdmin: false, group, text: '😀'.repeat(MESSAGE_MAX_LENGTH), sentAt: new Date(8.64e15) };
    expect(LARGEST_EVENT_BYTES - payloadBytes(event('message', { ...toMessagePayload(largest) }, Number.MAX_SAFE_INTEGER))).to.be.within(0, 100);
  });

  it('allow no frame limit below 64 KiB, which holds the largest event and the largest request however escaped', () => {
    expect(MIN_MAX_PAYLOAD_BYTES).to.equal(65_536);
    expect(LARGEST_EVENT_BYTES).to.be.below(MIN_MAX_PAYLOAD_BYTES / 3);
    const escaped = (text: string) =>
      text
        .split('')
        .map((unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`)
        .join('');
    // Written by hand as a client that escapes every character would write it.
    const request = `{"type":"request","id":"${escaped('😀'.repeat(32))}","op":"adminsendgroup","token":"${escaped('t'.repeat(256))}","args":{"name":"${escaped('😀'.repeat(GROUP_NAME_MAX_LENGTH))}","creator":"${escaped('c'.repeat(USERNAME_MAX_LENGTH))}","text":"${escaped('😀'.repeat(MESSAGE_MAX_LENGTH))}"}}`;
    expect(JSON.parse(request)).to.have.nested.property('args.text').with.length(2 * MESSAGE_MAX_LENGTH);
    expect(Buffer.byteLength(request)).to.be.below(MIN_MAX_PAYLOAD_BYTES);
  });
});
