/**
 * Progress a person can watch while a long phase runs. On a terminal: one live line per running
 * phase, redrawn in place. Without one (CI logs): a plain line per phase at most every few
 * seconds. Progress is for people only; nothing of it goes into the result or the evidence.
 */

import type { ProgressListener, ProgressUpdate } from '../model/progress.js';

export interface ProgressDisplay {
  update: ProgressListener;
  /** A line that stays (e.g. a phase's summary when it ends), printed above the live lines. */
  line(text: string): void;
  /** Clears the live lines; later updates are ignored. */
  close(): void;
}

interface Output {
  write(text: string): unknown;
  isTTY?: boolean;
}

/**
 * 12345 → "12,345", for the whole numbers progress shows. Not Intl.NumberFormat: the first use of ICU's number formatting makes node
 * read ~6 MB of its data into memory (measured in /proc/self/smaps), which the drill's progress
 * lines alone would pay for.
 */
function grouped(value: number): string {
  return String(value).replace(/\B(?=(\d{3})+$)/g, ',');
}

/** `elapsedMs`: how long the phase has run; with it, the rate so far and the time left at that rate. */
export function formatProgress(update: ProgressUpdate, elapsedMs?: number): string {
  const percent = update.total > 0 ? ` (${Math.floor((100 * Math.min(update.done, update.total)) / update.total)}%)` : '';
  const records = update.records !== undefined ? `, ${grouped(update.records)} records produced` : '';
  const detail = update.detail ? `; ${update.detail}` : '';
  return `${update.phase}: ${grouped(update.done)}/${grouped(update.total)} ${update.unit}${percent}${pace(update, elapsedMs)}${records}${detail}`;
}

/** ", 120/s, about 40 s left": only once a second has passed and something is done, and nothing while the phase is done. */
function pace(update: ProgressUpdate, elapsedMs: number | undefined): string {
  if (elapsedMs === undefined || elapsedMs < 1_000 || update.done <= 0 || update.done >= update.total) return '';
  const perSecond = (update.done * 1_000) / elapsedMs;
  const left = Math.ceil((update.total - update.done) / perSecond);
  const shown = perSecond >= 10 ? grouped(Math.round(perSecond)) : perSecond.toFixed(1);
  return `, ${shown}/s, about ${left >= 120 ? `${Math.round(left / 60)} min` : `${left} s`} left`;
}

export function createProgressDisplay(output: Output, options: { intervalMs?: number; redrawMs?: number; now?: () => number } = {}): ProgressDisplay {
  const now = options.now ?? (() => performance.now());
  return output.isTTY ? liveDisplay(output, options.redrawMs ?? 100, now) : plainDisplay(output, options.intervalMs ?? 5_000, now);
}

/** A terminal: the running phases' lines at the bottom, rewritten in place (ANSI cursor-up and clear). */
function liveDisplay(output: Output, redrawMs: number, now: () => number): ProgressDisplay {
  const running = new Map<string, ProgressUpdate>();
  const startedAt = new Map<string, number>();
  let drawnLines = 0;
  let drawnAt = -Infinity;
  let closed = false;
  const clear = () => {
    if (drawnLines > 0) output.write(`\x1b[${drawnLines}F\x1b[J`);
    drawnLines = 0;
  };
  const draw = () => {
    clear();
    const lines = [...running.values()].map((update) => `  … ${formatProgress(update, now() - (startedAt.get(update.phase) ?? now()))}\n`);
    if (lines.length) output.write(lines.join(''));
    drawnLines = lines.length;
    drawnAt = now();
  };
  return {
    update(update) {
      if (closed) return;
      if (update.ended) {
        running.delete(update.phase);
        startedAt.delete(update.phase);
        draw();
        return;
      }
      const isNew = !running.has(update.phase);
      if (isNew) startedAt.set(update.phase, now());
      running.set(update.phase, update);
      if (isNew || now() - drawnAt >= redrawMs) draw();
    },
    line(text) {
      clear();
      output.write(`${text}\n`);
      if (!closed) draw();
    },
    close() {
      closed = true;
      running.clear();
      clear();
    },
  };
}

/** A log: a plain line per running phase, no sooner than `intervalMs` after its start or its previous line. */
function plainDisplay(output: Output, intervalMs: number, now: () => number): ProgressDisplay {
  const lastLine = new Map<string, number>();
  const startedAt = new Map<string, number>();
  let closed = false;
  return {
    update(update) {
      if (closed) return;
      if (update.ended) {
        lastLine.delete(update.phase);
        startedAt.delete(update.phase);
        return;
      }
      const last = lastLine.get(update.phase);
      if (last === undefined) {
        lastLine.set(update.phase, now());
        startedAt.set(update.phase, now());
      } else if (now() - last >= intervalMs) {
        output.write(`  … ${formatProgress(update, now() - startedAt.get(update.phase)!)}\n`);
        lastLine.set(update.phase, now());
      }
    },
    line(text) {
      output.write(`${text}\n`);
    },
    close() {
      closed = true;
    },
  };
}
