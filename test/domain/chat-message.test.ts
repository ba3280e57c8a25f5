import { expect } from 'chai';
import { DomainError, MESSAGE_MAX_LENGTH, parseMessageText } from '../../domain/index.js';

function code(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error.code;
    throw error;
  }
  return undefined;
}

describe('message text', () => {
  it('keeps spaces, newlines and tabs as typed', () => {
    expect(parseMessageText('  hi\n\tthere ')).to.equal('  hi\n\tthere ');
  });

  it('refuses empty and blank messages', () => {
    expect(code(() => parseMessageText(''))).to.equal('EMPTY_MESSAGE');
    expect(code(() => parseMessageText(' \n\t '))).to.equal('EMPTY_MESSAGE');
  });

  it(`counts characters, not UTF-16 units: ${MESSAGE_MAX_LENGTH} emoji fit, one more does not`, () => {
    expect(parseMessageText('😀'.repeat(MESSAGE_MAX_LENGTH))).to.have.length(MESSAGE_MAX_LENGTH * 2);
    try {
      parseMessageText('😀'.repeat(MESSAGE_MAX_LENGTH + 1));
      expect.fail('accepted an overlong message');
    } catch (error) {
      expect(error).to.be.instanceOf(DomainError);
      expect((error as DomainError).code).to.equal('MESSAGE_TOO_LONG');
      expect((error as DomainError).message).to.contain(String(MESSAGE_MAX_LENGTH));
    }
  });

  it('refuses control characters and broken Unicode', () => {
    expect(code(() => parseMessageText('bell\u0007'))).to.equal('INVALID_TEXT');
    expect(code(() => parseMessageText('esc\u001b[31m'))).to.equal('INVALID_TEXT');
    expect(code(() => parseMessageText('half \ud83d emoji'))).to.equal('INVALID_TEXT');
  });
});
