import { expect } from 'chai';
import { isUniqueViolation } from '../../infrastructure/knex/is-unique-violation.js';

describe('isUniqueViolation', () => {
  const sqlite = (message: string) => Object.assign(new Error(`insert into … - SQLITE_CONSTRAINT: ${message}`), { code: 'SQLITE_CONSTRAINT_UNIQUE' });
  const postgres = (table: string, detail: string) => Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505', table, detail });

  it('recognises SQLite unique and primary-key violations on exactly the columns named', () => {
    expect(isUniqueViolation(sqlite('UNIQUE constraint failed: users.username'), 'users', ['username'])).to.equal(true);
    expect(isUniqueViolation(sqlite('UNIQUE constraint failed: groups.name, groups.creator_id'), 'groups', ['name', 'creator_id'])).to.equal(true);
    expect(isUniqueViolation(sqlite('UNIQUE constraint failed: users.token_hash'), 'users', ['username'])).to.equal(false);
    expect(isUniqueViolation(sqlite('FOREIGN KEY constraint failed'), 'users', ['username'])).to.equal(false);
  });

  it('recognises PostgreSQL unique violations by code, table and key columns', () => {
    expect(isUniqueViolation(postgres('groups', 'Key (name, creator_id)=(team, 1) already exists.'), 'groups', ['name', 'creator_id'])).to.equal(true);
    expect(isUniqueViolation(postgres('group_members', 'Key (group_id, user_id)=(1, 2) already exists.'), 'groups', ['name', 'creator_id'])).to.equal(false);
    expect(isUniqueViolation(postgres('users', 'Key (token_hash)=(abc) already exists.'), 'users', ['username'])).to.equal(false);
  });

  it('says no to anything else', () => {
    for (const error of [undefined, null, 'UNIQUE constraint failed: users.username', new Error('UNIQUE constraint failed: users.username')]) {
      expect(isUniqueViolation(error, 'users', ['username'])).to.equal(false);
    }
  });
});
