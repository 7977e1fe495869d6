import { kafkaErrorName } from './errors.js';

/** Errors a fresh cluster gives while an internal topic or a coordinator is still coming up. */
export const TRANSIENT_ERRORS = new Set(['COORDINATOR_NOT_AVAILABLE', 'COORDINATOR_LOAD_IN_PROGRESS', 'NOT_COORDINATOR', 'LEADER_NOT_AVAILABLE', 'NOT_LEADER_OR_FOLLOWER', 'UNKNOWN_TOPIC_OR_PARTITION']);

/** Retries `call` while Kafka answers with a transient error, up to `timeoutMs`. */
export async function retryTransient<T>(call: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      // @platformatic/kafka reports a topic missing from its metadata as a plain "Unknown topic …" error.
      const name = kafkaErrorName(error) ?? (/^Unknown topic /.test((error as Error).message ?? '') ? 'UNKNOWN_TOPIC_OR_PARTITION' : undefined);
      if (!name || !TRANSIENT_ERRORS.has(name) || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** attempt, 1_000)));
    }
  }
}
