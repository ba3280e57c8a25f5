import { expect } from 'chai';
import { DomainError } from '../../domain/index.js';

/** The code of the DomainError that `work` throws or rejects with; fails the test if it succeeds or throws something else. */
export async function refusalCode(work: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof work === 'function' ? work() : work);
  } catch (error) {
    if (error instanceof DomainError) return error.code;
    throw error;
  }
  return expect.fail('expected a refusal');
}

/** The text of printed message lines, without their time stamps. */
export function bodies(output: string | string[]): string[] {
  const lines = typeof output === 'string' ? output.split('\n') : output;
  return lines.filter((line) => /^\[\d{4}-/.test(line)).map((line) => line.replace(/^\[[^\]]+\] /, ''));
}
