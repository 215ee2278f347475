import type { Runtime } from '../system/index.ts';

/** Per-view figures the runtime does not keep itself: last commit time, writes, throughput. */
export interface ViewFigures {
  /** Epoch ms of the last live commit (null: none since the server started). */
  lastCommitAt: number | null;
  commits: number;
  writesOut: number;
  /** Input records applied per second, one sample per second, oldest first (at most 60). */
  readonly recordsPerSecond: number[];
  /** Lag in ms at each commit since the last scrape (drained by /metrics). */
  readonly lagAtCommit: number[];
}

const SAMPLES = 60;

/**
 * Watches every view's commits and samples applied-record counts once a second, for the
 * dashboard's sparklines and the metrics. Bounded: 60 samples per view.
 */
export class ViewStats {
  readonly #rt: Runtime;
  readonly #figures = new Map<string, ViewFigures>();
  readonly #previous = new Map<string, number>();
  readonly #listening = new Map<string, { runner: unknown; unlisten: () => void }>();
  readonly #timer: NodeJS.Timeout;

  constructor(runtime: Runtime) {
    this.#rt = runtime;
    for (const s of runtime.viewStatus()) {
      const f: ViewFigures = {
        lastCommitAt: null,
        commits: 0,
        writesOut: 0,
        recordsPerSecond: [],
        lagAtCommit: [],
      };
      this.#figures.set(s.name, f);
      this.#previous.set(s.name, s.appliedRecords);
      this.#listen(s.name, f);
    }
    this.#timer = setInterval(() => this.#sample(), 1_000);
    this.#timer.unref();
  }

  /** Figures of one view (undefined for a view not running here). */
  get(view: string): ViewFigures | undefined {
    return this.#figures.get(view);
  }

  close(): void {
    clearInterval(this.#timer);
    for (const l of this.#listening.values()) l.unlisten();
  }

  /** Follow the view's current runner (a rebuild replaces it). */
  #listen(view: string, f: ViewFigures): void {
    const runner = this.#rt.runner(view);
    if (this.#listening.get(view)?.runner === runner) return;
    this.#listening.get(view)?.unlisten();
    const unlisten = runner.onCommit((c) => {
      if (c.building) return;
      f.lastCommitAt = Date.now();
      f.commits++;
      f.writesOut += c.writes.length;
      if (f.lagAtCommit.length < 10_000) f.lagAtCommit.push(runner.status().lagMs);
    });
    this.#listening.set(view, { runner, unlisten });
  }

  #sample(): void {
    for (const s of this.#rt.viewStatus()) {
      const f = this.#figures.get(s.name);
      if (!f) continue;
      this.#listen(s.name, f);
      const before = this.#previous.get(s.name) ?? s.appliedRecords;
      f.recordsPerSecond.push(Math.max(0, s.appliedRecords - before));
      if (f.recordsPerSecond.length > SAMPLES) f.recordsPerSecond.shift();
      this.#previous.set(s.name, s.appliedRecords);
    }
  }
}
