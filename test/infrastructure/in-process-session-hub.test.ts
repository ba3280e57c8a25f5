import { InProcessSessionHub } from '../../infrastructure/in-process-session-hub.js';
import { describeSessionHub } from './session-hub.contract.js';

describeSessionHub(
  'in-process',
  async (presenceGraceMs) => new InProcessSessionHub({ presenceGraceMs }),
  async (hub) => (hub as InProcessSessionHub).close(),
);
