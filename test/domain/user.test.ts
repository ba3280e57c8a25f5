import { expect } from 'chai';
import {
  assertWellFormedPassword,
  checkPasswordStrength,
  DomainError,
  parseNewUsername,
  parseUsername,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  USERNAME_MAX_LENGTH,
  USERNAME_MIN_LENGTH,
} from '../../domain/index.js';

function refusal(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  expect.fail('expected a DomainError');
}

describe('usernames', () => {
  it('are case-insensitive: Bob is stored as bob', () => {
    expect(parseUsername('Bob')).to.equal('bob');
    expect(parseUsername('  ALICE_99 ')).to.equal('alice_99');
  });

  it(`have ${USERNAME_MIN_LENGTH} to ${USERNAME_MAX_LENGTH} characters`, () => {
    expect(parseUsername('a'.repeat(USERNAME_MIN_LENGTH))).to.have.length(USERNAME_MIN_LENGTH);
    expect(parseUsername('a'.repeat(USERNAME_MAX_LENGTH))).to.have.length(USERNAME_MAX_LENGTH);
    const short = refusal(() => parseUsername('ab'));
    expect(short.code).to.equal('INVALID_USERNAME');
    expect(short.message).to.contain(`${USERNAME_MIN_LENGTH} to ${USERNAME_MAX_LENGTH}`);
    expect(refusal(() => parseUsername('a'.repeat(USERNAME_MAX_LENGTH + 1))).code).to.equal('INVALID_USERNAME');
  });

  it('start with a letter and hold only a-z, digits, _ and -', () => {
    for (const bad of ['1abc', '_abc', 'al ice', 'al/ice', 'álvaro', 'bob\u0000x', 'bob\nx', 'dröp', '👍👍👍']) {
      expect(refusal(() => parseUsername(bad)).code, bad).to.equal('INVALID_USERNAME');
    }
    expect(parseUsername('a-b_c')).to.equal('a-b_c');
  });

  it('hold no invisible characters: zero-width, bidi controls, fillers', () => {
    for (const bad of ['bob\u200b', 'ali\u202ece', 'car\ufeffol', 'da\u00adve', 'er\u3164in']) {
      expect(refusal(() => parseUsername(bad)).code, JSON.stringify(bad)).to.equal('INVALID_USERNAME');
    }
  });

  it('refuse, for a new account, names people would take for the server or its staff, in any case and spelling', () => {
    for (const reserved of ['admin', 'ADMIN', 'System', 'root', 'server', 'operator', 'ad-min', 'root_', 'sys_op', 'postmaster']) {
      const error = refusal(() => parseNewUsername(reserved));
      expect(error.code, reserved).to.equal('USERNAME_RESERVED');
      expect(error.message).to.contain('reserved');
    }
    expect(parseNewUsername('adminton')).to.equal('adminton');
    expect(parseNewUsername('Rooted')).to.equal('rooted');
    // An account made before its name was reserved can still be named.
    expect(parseUsername('admin')).to.equal('admin');
  });
});

describe('passwords', () => {
  it(`need at least ${PASSWORD_MIN_LENGTH} characters, and not only spaces`, () => {
    expect(refusal(() => checkPasswordStrength('')).code).to.equal('WEAK_PASSWORD');
    expect(refusal(() => checkPasswordStrength('a'.repeat(PASSWORD_MIN_LENGTH - 1))).message).to.contain(`${PASSWORD_MIN_LENGTH}`);
    expect(refusal(() => checkPasswordStrength(' '.repeat(PASSWORD_MIN_LENGTH))).code).to.equal('WEAK_PASSWORD');
    expect(() => checkPasswordStrength('a'.repeat(PASSWORD_MIN_LENGTH))).to.not.throw();
  });

  it('are well-formed Unicode: a lone surrogate, which would hash like U+FFFD, is refused', () => {
    for (const bad of ['correct horse\ud800', 'correct horse\udbff', '\udc00correct horse', 'correct\ud83d horse']) {
      expect(refusal(() => checkPasswordStrength(bad)).code, JSON.stringify(bad)).to.equal('INVALID_PASSWORD');
      expect(refusal(() => assertWellFormedPassword(bad)).message).to.contain('well-formed Unicode');
    }
    expect(() => checkPasswordStrength('correct horse 😀')).to.not.throw();
  });

  it(`are at most ${PASSWORD_MAX_LENGTH} characters, to bound the hashing work`, () => {
    expect(() => checkPasswordStrength('a'.repeat(PASSWORD_MAX_LENGTH))).to.not.throw();
    expect(refusal(() => checkPasswordStrength('a'.repeat(PASSWORD_MAX_LENGTH + 1))).message).to.contain(`${PASSWORD_MAX_LENGTH}`);
  });
});
