import { accessSync, constants, statfsSync } from 'node:fs';
import type { BrokerStorage } from '../model/enums.js';

/**
 * Where a drill's brokers keep their data. Kafka syncs files to disk for every partition it
 * creates (its partition.metadata and leader-epoch checkpoint), one after another on the broker's
 * metadata thread: about 8 ms a partition on the disk of a CI machine, so 3,000 partitions keep a
 * broker busy for 24 s and 30,000 for four minutes, while on a tmpfs a sync costs nothing. A
 * drill's brokers hold only what the drill writes and are deleted at its end: memory is the
 * default. Not for a mirror, which copies the source's own records, as many as there are.
 */

/** The memory filesystem the process provider puts broker data on (Linux). */
export const MEMORY_STORAGE_ROOT = '/dev/shm';
/** Free space the memory filesystem must have for a drill to use it. */
export const MEMORY_STORAGE_MIN_FREE_BYTES = 1024 ** 3;
const TMPFS_MAGIC = 0x01021994;

/** The storage a drill asks for: the spec's choice, else memory unless the drill mirrors records. */
export function brokerStorageFor(chosen: BrokerStorage | undefined, data: string): { storage: BrokerStorage; reason: string } {
  if (chosen) return { storage: chosen, reason: "the spec's target.brokerStorage" };
  if (data === 'mirror') return { storage: 'disk', reason: "restore.data: mirror copies the source's records, as many as there are" };
  return { storage: 'memory', reason: 'Kafka syncs files for every partition it creates; in memory that costs nothing' };
}

/** The memory filesystem to use for `dataBytes` of broker data, or why there is none (then the brokers' data goes to disk). */
export function memoryStorageRoot(dataBytes = 0, root = MEMORY_STORAGE_ROOT): { root: string } | { unavailable: string } {
  const mib = (bytes: number) => Math.ceil(bytes / 1024 ** 2);
  try {
    const stats = statfsSync(root);
    if (stats.type !== TMPFS_MAGIC) return { unavailable: `${root} is not a tmpfs` };
    const free = stats.bavail * stats.bsize;
    const needed = MEMORY_STORAGE_MIN_FREE_BYTES + dataBytes;
    if (free < needed) {
      const why =
        dataBytes > 0
          ? `the drill's data (up to ${mib(dataBytes)} MiB) and a ${mib(MEMORY_STORAGE_MIN_FREE_BYTES)} MiB margin`
          : `a ${mib(MEMORY_STORAGE_MIN_FREE_BYTES)} MiB margin`;
      return { unavailable: `${root} has ${Math.floor(free / 1024 ** 2)} MiB free, under the ${mib(needed)} MiB for ${why}` };
    }
    accessSync(root, constants.W_OK);
    return { root };
  } catch (error) {
    return { unavailable: `${root}: ${(error as NodeJS.ErrnoException).code ?? 'unusable'}` };
  }
}
