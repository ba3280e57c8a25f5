import { WireFailure } from './connection.js';

/** One sentence for the user about a refused or failed request. */
export function describeFailure(error: unknown): string {
  if (!(error instanceof WireFailure)) return `Something went wrong: ${String(error)}`;
  const retryAfterMs = error.data.retryAfterMs;
  const seconds = typeof retryAfterMs === 'number' ? Math.max(1, Math.ceil(retryAfterMs / 1000)) : null;
  switch (error.code) {
    case 'RATE_LIMITED':
      return `Too many attempts: try again in ${seconds ?? 'a few'} s.`;
    case 'TRY_AGAIN':
    case 'STORAGE_UNAVAILABLE':
    case 'HUB_UNAVAILABLE':
      return `The server is busy: try again in ${seconds ?? 'a few'} s.`;
    case 'USER_BANNED':
      return 'This account is banned.';
    case 'CONNECTION_LOST':
    case 'TIMEOUT':
      return `No connection to the server: ${error.message}.`;
    default:
      return capitalise(`${error.message}.`);
  }
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
