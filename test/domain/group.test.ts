import { expect } from 'chai';
import {
  assertCanCreateAnotherGroup,
  assertCanDeleteGroup,
  assertCanKick,
  assertCanManageMembers,
  DomainError,
  GROUP_NAME_MAX_LENGTH,
  MAX_GROUPS_PER_CREATOR,
  parseGroupName,
  type Group,
  type User,
  type Username,
} from '../../domain/index.js';

const at = new Date(0);
const user = (id: number, isAdmin = false): User => ({
  id,
  username: `user${id}` as Username,
  passwordHash: '',
  isAdmin,
  ban: null,
  createdAt: at,
});
const group: Group = { id: 1, name: 'team', creatorId: 1, ban: null, createdAt: at };

function code(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error.code;
    throw error;
  }
  return undefined;
}

describe('groups', () => {
  it(`have names of 1 to ${GROUP_NAME_MAX_LENGTH} characters in any script, trimmed`, () => {
    expect(parseGroupName('  Équipe 🚀 ')).to.equal('Équipe 🚀');
    expect(parseGroupName('é'.repeat(GROUP_NAME_MAX_LENGTH))).to.have.length(GROUP_NAME_MAX_LENGTH);
    expect(code(() => parseGroupName('é'.repeat(GROUP_NAME_MAX_LENGTH + 1)))).to.equal('INVALID_GROUP_NAME');
    expect(code(() => parseGroupName('   '))).to.equal('INVALID_GROUP_NAME');
    expect(code(() => parseGroupName('a\u0000b'))).to.equal('INVALID_GROUP_NAME');
  });

  it('have names with no invisible characters: zero-width, bidi controls, the BOM, soft hyphens, tags, Hangul fillers', () => {
    for (const bad of ['te\u200bam', 'team\u200d', 'evil\u202eeulav', '\u2066team\u2069', 'te\ufeffam', 'te\u00adam', 'team\u{e0041}', '\u3164', 'a\u115fb', 'a\u1160b', 'a\uffa0b', 'a\u061cb']) {
      expect(code(() => parseGroupName(bad)), JSON.stringify(bad)).to.equal('INVALID_GROUP_NAME');
    }
    expect(parseGroupName('한국어 팀')).to.equal('한국어 팀');
    expect(parseGroupName('עברית team')).to.equal('עברית team');
  });

  it(`stop at ${MAX_GROUPS_PER_CREATOR} per creator, saying so`, () => {
    expect(() => assertCanCreateAnotherGroup(MAX_GROUPS_PER_CREATOR - 1)).to.not.throw();
    expect(() => assertCanCreateAnotherGroup(MAX_GROUPS_PER_CREATOR)).to.throw(DomainError, String(MAX_GROUPS_PER_CREATOR));
  });

  it('are deleted by their owner only, not even by an admin', () => {
    expect(() => assertCanDeleteGroup(user(1), group)).to.not.throw();
    expect(code(() => assertCanDeleteGroup(user(2, true), group))).to.equal('NOT_GROUP_OWNER');
  });

  it('are managed by their owner or an admin', () => {
    expect(() => assertCanManageMembers(user(1), group)).to.not.throw();
    expect(() => assertCanManageMembers(user(3, true), group)).to.not.throw();
    expect(code(() => assertCanManageMembers(user(2), group))).to.equal('NOT_GROUP_OWNER');
  });

  it('never let anyone kick themselves or the owner', () => {
    expect(code(() => assertCanKick(user(1), { groupId: 1, userId: 1, role: 'owner', joinedAt: at }))).to.equal('CANNOT_KICK_SELF');
    expect(code(() => assertCanKick(user(3, true), { groupId: 1, userId: 1, role: 'owner', joinedAt: at }))).to.equal('CANNOT_KICK_OWNER');
    expect(() => assertCanKick(user(1), { groupId: 1, userId: 2, role: 'member', joinedAt: at })).to.not.throw();
  });
});
