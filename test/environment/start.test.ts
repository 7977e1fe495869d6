import { describe, expect, it } from 'vitest';
import { startEnvironment } from '../../src/environment/start.js';
import { InputError } from '../../src/errors.js';

describe('startEnvironment refuses a cluster it cannot start, before starting anything', () => {
  it.each([
    [{ brokers: 6 }, 'an environment has 1 to 5 brokers, not 6'],
    [{ brokers: 0 }, 'an environment has 1 to 5 brokers, not 0'],
    [{ brokers: 3, nodeIds: [0, 1] }, 'broker ids 0, 1: expected 3 distinct whole numbers from 0 to 2147483647'],
    [{ brokers: 2, nodeIds: [7, 7] }, 'broker ids 7, 7: expected 2 distinct whole numbers from 0 to 2147483647'],
    [{ brokers: 1, nodeIds: [-1] }, 'broker ids -1: expected 1 distinct whole numbers from 0 to 2147483647'],
  ])('%j', async (shape, message) => {
    await expect(startEnvironment('process', { kafkaVersion: '4.3.1', security: 'plaintext', ...shape })).rejects.toThrow(new InputError(message));
  });
});
