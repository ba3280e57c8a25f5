import { InProcessSessionHub } from '../../infrastructure/in-process-session-hub.js';
import { describeSessionHub } from './session-hub.contract.js';

describeSessionHub('in-process', async () => new InProcessSessionHub());
