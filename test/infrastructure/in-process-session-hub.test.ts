import { InProcessSessionHub } from '../../infrastructure/in-process-session-hub.js';
import { CONTRACT_GRACE_MS, describeSessionHub } from './session-hub.contract.js';

describeSessionHub(
  'in-process',
  async () => new InProcessSessionHub({ presenceGraceMs: CONTRACT_GRACE_MS }),
  async (hub) => (hub as InProcessSessionHub).close(),
);
