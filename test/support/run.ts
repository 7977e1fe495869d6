import { emptyRun as emptyRunOf, type Run } from '../../src/model/result.js';

/** A run that has done nothing yet, as the runner starts one: for tests of what finish() makes of a field. */
export function emptyRun(): Run {
  return emptyRunOf('4.3.1', { provider: 'process', brokers: 1, security: 'PLAINTEXT' });
}
