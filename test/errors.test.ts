import { Admin } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { errorMessage } from '../src/errors.js';
import { freePorts } from '../src/environment/ports.js';

describe('errorMessage', () => {
  it('keeps the cause a client library nests under its own message: a refused connection names the address and the errno', async () => {
    const [port] = await freePorts(1);
    const admin = new Admin({ clientId: 'errors-test', bootstrapBrokers: [`127.0.0.1:${port}`], timeout: 2_000, retries: 0 });
    const error = await admin.metadata({ topics: [] }).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    await admin.close();
    expect((error as Error).message).not.toContain('ECONNREFUSED');
    expect(errorMessage(error)).toMatch(new RegExp(`^.+ \\(Connection to 127\\.0\\.0\\.1:${port} failed\\. \\(connect ECONNREFUSED 127\\.0\\.0\\.1:${port}\\)\\)$`));
  });

  it('names each distinct error of an aggregate once, at most three, and counts the rest', () => {
    const causes = ['a', 'b', 'a', 'c', 'd', 'e'].map((letter) => new Error(`broker ${letter} refused`));
    expect(errorMessage(new AggregateError(causes, 'Listing offsets failed.'))).toBe('Listing offsets failed. (broker a refused; broker b refused; broker c refused; and 2 more)');
  });

  it('does not repeat a cause its message already contains, and stops three causes down', () => {
    const deep = new Error('level 1', { cause: new Error('level 2', { cause: new Error('level 3', { cause: new Error('level 4', { cause: new Error('level 5') }) }) }) });
    expect(errorMessage(deep)).toBe('level 1 (level 2 (level 3 (level 4)))');
    expect(errorMessage(new Error('timed out: socket hang up', { cause: new Error('socket hang up') }))).toBe('timed out: socket hang up');
    expect(errorMessage('plain text')).toBe('plain text');
  });
});
