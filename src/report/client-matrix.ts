/**
 * The client matrix, from result.json alone: one row per spec probe and client class, one column
 * per Kafka version, each cell the status of that probe through that client on that version —
 * so "librdkafka 2.0.2 cannot log in to 4.3.1" is one red cell carrying Kafka's error.
 */
import type { ClientClass } from '../model/enums.js';
import type { Result } from '../model/result.js';

export interface ClientMatrixCell {
  probeId: string;
  status: 'passed' | 'failed' | 'skipped' | 'error';
  library: string;
  durationMs: number;
  processes?: number;
  /** Kafka's error of the first failed check, when it has one. */
  kafkaError?: string;
  /** What the first failed check observed. */
  observed?: string;
  /** The spec declared this red cell as known, with this reason. */
  expectedFailure?: string;
}

export interface ClientMatrixRow {
  probe: string;
  type: string;
  client: ClientClass;
  /** One per Kafka version, in the result's run order; undefined where the probe did not run. */
  cells: (ClientMatrixCell | undefined)[];
}

export interface ClientMatrix {
  versions: string[];
  rows: ClientMatrixRow[];
}

/** The matrix, or undefined when no probe ran through the client matrix. */
export function clientMatrix(result: Pick<Result, 'runs'>): ClientMatrix | undefined {
  const rows = new Map<string, ClientMatrixRow>();
  result.runs.forEach((run, column) => {
    for (const probe of run.probes) {
      if (!probe.client) continue;
      const key = `${probe.client.probe}\u0000${probe.client.class}`;
      let row = rows.get(key);
      if (!row) {
        row = { probe: probe.client.probe, type: probe.type, client: probe.client.class, cells: result.runs.map(() => undefined) };
        rows.set(key, row);
      }
      const failed = probe.evidence.find((item) => item.outcome === 'failed');
      row.cells[column] = {
        probeId: probe.id,
        status: probe.status,
        library: probe.client.library,
        durationMs: probe.durationMs,
        ...(probe.client.processes !== undefined ? { processes: probe.client.processes } : {}),
        ...(failed?.kafkaError ? { kafkaError: failed.kafkaError } : {}),
        ...(failed ? { observed: failed.observed } : {}),
        ...(probe.expectedFailure ? { expectedFailure: probe.expectedFailure.reason } : {}),
      };
    }
  });
  if (rows.size === 0) return undefined;
  return { versions: result.runs.map((run) => run.kafkaVersion), rows: [...rows.values()] };
}
