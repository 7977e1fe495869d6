/**
 * KRaft refuses a write that would append more than 10,000 metadata records in one operation
 * ("Unable to perform excessively large batch operation") and a CreateTopics creating more than
 * 10,000 partitions ("Excessively large number of partitions per request"). Batched writes are
 * split into requests that each stay well under both.
 */
export const KRAFT_MAX_RECORDS_PER_OPERATION = 10_000;

/** What one request carries by default: half of KRaft's limit, so a request is never the one that hits it. */
export const DEFAULT_RECORDS_PER_REQUEST = 5_000;

/**
 * Splits `items` into consecutive chunks whose weights (metadata records each item writes) sum
 * to at most `budget`, keeping their order. An item heavier than the budget goes alone in its own
 * chunk: Kafka then answers for that one object, and nothing else shares its fate.
 */
export function chunkByWeight<T>(items: readonly T[], weightOf: (item: T) => number, budget: number): T[][] {
  if (!(budget >= 1)) throw new RangeError(`a chunk budget must be at least 1, got ${budget}`);
  const chunks: T[][] = [];
  let current: T[] = [];
  let weight = 0;
  for (const item of items) {
    const itemWeight = Math.max(1, weightOf(item));
    if (current.length > 0 && weight + itemWeight > budget) {
      chunks.push(current);
      current = [];
      weight = 0;
    }
    current.push(item);
    weight += itemWeight;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
