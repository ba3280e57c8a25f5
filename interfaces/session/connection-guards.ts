import { ConnectionAdmission, type AdmissionLimits } from './connection-admission.js';
import { RequestThrottle, type RequestLimits } from './request-throttle.js';

/**
 * The per-address connection counts and the per-connection and per-token request budgets of
 * one server. Every gateway of the server shares one, so an address's connections and a
 * token's requests are counted together whichever transport carries them.
 */
export interface ConnectionGuards {
  readonly admission: ConnectionAdmission;
  readonly requests: RequestThrottle;
}

/** New guards with these limits, for a server's first gateway. */
export function connectionGuards(limits: AdmissionLimits & RequestLimits): ConnectionGuards {
  return { admission: new ConnectionAdmission(limits), requests: new RequestThrottle(limits) };
}
