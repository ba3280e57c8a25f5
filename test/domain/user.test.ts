import { expect } from 'chai';
import {
  checkPasswordStrength,
  DomainError,
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
});

describe('passwords', () => {
  it(`need at least ${PASSWORD_MIN_LENGTH} characters, and not only spaces`, () => {
    expect(refusal(() => checkPasswordStrength('')).code).to.equal('WEAK_PASSWORD');
    expect(refusal(() => checkPasswordStrength('a'.repeat(PASSWORD_MIN_LENGTH - 1))).message).to.contain(`${PASSWORD_MIN_LENGTH}`);
    expect(refusal(() => checkPasswordStrength(' '.repeat(PASSWORD_MIN_LENGTH))).code).to.equal('WEAK_PASSWORD');
    expect(() => checkPasswordStrength('a'.repeat(PASSWORD_MIN_LENGTH))).to.not.throw();
  });

  it(`are at most ${PASSWORD_MAX_LENGTH} characters, to bound the hashing work`, () => {
    expect(() => checkPasswordStrength('a'.repeat(PASSWORD_MAX_LENGTH))).to.not.throw();
    expect(refusal(() => checkPasswordStrength('a'.repeat(PASSWORD_MAX_LENGTH + 1))).message).to.contain(`${PASSWORD_MAX_LENGTH}`);
  });
});
