/** Progress a person can watch while a long phase runs; nothing of it goes into the result or the evidence. */

/** How far a running phase is. */
export interface ProgressUpdate {
  /** The phase or probe running, e.g. "topics" or "probe authorization". */
  phase: string;
  done: number;
  total: number;
  /** What `done` and `total` count: "objects", "checks", … */
  unit: string;
  /** Records produced so far, for phases that write data. */
  records?: number;
  /** More for the person watching, e.g. a mirror's bytes copied and lag per topic. */
  detail?: string;
  /** The phase is over: its live line goes away. */
  ended?: boolean;
}

export type ProgressListener = (update: ProgressUpdate) => void;
