/**
 * A progress bar on stderr for long streamed runs. It draws only when stderr is a TTY, and only
 * once the run has taken longer than `delayMs` (1 s), so quick runs and redirected stderr stay
 * clean; redraws are throttled, and the line is erased when the run ends.
 */

/** The part of a stream the bar needs (process.stderr fits). */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

export interface ProgressOptions {
  /** Show the bar at all (false for `--no-progress`). Default true. */
  enabled?: boolean;
  /** Milliseconds before the first draw. Default 1000. */
  delayMs?: number;
  /** Minimum milliseconds between redraws. Default 100. */
  intervalMs?: number;
  /** Clock in milliseconds (injectable for tests). Default `performance.now`. */
  now?: () => number;
}

export class ProgressBar {
  private readonly active: boolean;
  private readonly start: number;
  private lastDraw = -Infinity;
  private shown = false;
  private readonly delayMs: number;
  private readonly intervalMs: number;
  private readonly now: () => number;

  constructor(
    private readonly stream: ProgressStream,
    private readonly label: string,
    private readonly total: number,
    opts: ProgressOptions = {},
  ) {
    this.active = (opts.enabled ?? true) && stream.isTTY === true && total > 0;
    this.delayMs = opts.delayMs ?? 1000;
    this.intervalMs = opts.intervalMs ?? 100;
    this.now = opts.now ?? (() => performance.now());
    this.start = this.now();
  }

  /** Reports that `done` of `total` units are finished. */
  update(done: number): void {
    if (!this.active) return;
    const t = this.now();
    if (t - this.start < this.delayMs || t - this.lastDraw < this.intervalMs) return;
    this.lastDraw = t;
    this.shown = true;
    const frac = Math.min(1, Math.max(0, done / this.total));
    const pct = `${Math.floor(frac * 100)}`.padStart(3);
    const tail = ` ${pct}% ${done}/${this.total} rows ${((t - this.start) / 1000).toFixed(1)}s`;
    const width = Math.max(10, Math.min(40, (this.stream.columns ?? 80) - this.label.length - tail.length - 4));
    const filled = Math.round(frac * width);
    this.stream.write(`\r${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}]${tail}\x1b[K`);
  }

  /** Erases the bar if it was drawn. */
  finish(): void {
    if (this.shown) this.stream.write('\r\x1b[K');
    this.shown = false;
  }

  /** Whether the bar has been drawn (and not erased). */
  get visible(): boolean {
    return this.shown;
  }
}
