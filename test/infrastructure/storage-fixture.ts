import { expect } from 'chai';
import type { Storage } from '../../infrastructure/storage.js';
import { DomainError, type DomainErrorCode, type User, type Username } from '../../domain/index.js';

/** A fixed instant plus `ms`: times stored and read back must match to the millisecond. */
export const at = (ms: number): Date => new Date(Date.UTC(2026, 10, 25) + ms);

/** The error a promise rejects with; fails the test if it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(Error);
    return error as Error;
  }
  return expect.fail('expected the call to be refused');
}

/** The DomainError code a promise rejects with. */
export async function refusal(promise: Promise<unknown>): Promise<DomainErrorCode> {
  const error = await rejection(promise);
  expect(error).to.be.instanceOf(DomainError);
  return (error as DomainError).code;
}

/** Reaches past `readonly`, to show that changing what a repository returned changes nothing stored. */
export function tamper<T>(value: T): { -readonly [K in keyof T]: T[K] } {
  return value as { -readonly [K in keyof T]: T[K] };
}

export interface StorageFixture {
  readonly storage: Storage;
  addUser(username: string, ms?: number): Promise<User>;
}

/** A fresh storage for each test, closed after it. */
export function storageFixture(open: () => Promise<Storage>): StorageFixture {
  let current: Storage | undefined;
  beforeEach(async () => {
    current = await open();
  });
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  return {
    get storage() {
      if (!current) throw new Error('no storage outside a test');
      return current;
    },
    addUser(username, ms = 0) {
      return this.storage.repositories.users.add({ username: username as Username, passwordHash: `hash-${username}`, createdAt: at(ms) });
    },
  };
}
