/** One retained commit of a view: its position token and the SSE frame already serialized. */
export interface RetainedCommit {
  readonly token: string;
  readonly frame: Buffer;
  readonly writes: number;
}

/**
 * The recent commits of one view, oldest first, bounded by commit count and by total writes
 * (strategy: drop oldest). `base` is the token of the exact position just before the oldest
 * retained commit, so a client at `base` or at any retained token can resume without a gap.
 */
export class ChangeRing {
  readonly #maxCommits: number;
  readonly #maxWrites: number;
  #items: RetainedCommit[] = [];
  #start = 0;
  #writes = 0;
  #base: string;

  constructor(base: string, maxCommits: number, maxWrites: number) {
    this.#base = base;
    this.#maxCommits = Math.max(1, maxCommits);
    this.#maxWrites = Math.max(1, maxWrites);
  }

  /** Token of the newest position the ring knows exactly (the last commit, or the base). */
  get head(): string {
    return this.#items.length > this.#start
      ? this.#items[this.#items.length - 1]!.token
      : this.#base;
  }

  get base(): string {
    return this.#base;
  }

  get size(): number {
    return this.#items.length - this.#start;
  }

  push(commit: RetainedCommit): void {
    this.#items.push(commit);
    this.#writes += commit.writes;
    while (this.size > this.#maxCommits || (this.#writes > this.#maxWrites && this.size > 1)) {
      const old = this.#items[this.#start]!;
      this.#base = old.token;
      this.#writes -= old.writes;
      this.#start++;
    }
    if (this.#start > 1024 && this.#start * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#start);
      this.#start = 0;
    }
  }

  /** Forget everything: `base` becomes the new exact starting point. */
  reset(base: string): void {
    this.#items = [];
    this.#start = 0;
    this.#writes = 0;
    this.#base = base;
  }

  /**
   * The commits after the one at `token`, or null when `token` is neither the base nor a
   * retained commit (too old, or not a position this ring has seen).
   */
  after(token: string): RetainedCommit[] | null {
    if (token === this.#base) return this.#items.slice(this.#start);
    for (let i = this.#items.length - 1; i >= this.#start; i--) {
      if (this.#items[i]!.token === token) return this.#items.slice(i + 1);
    }
    return null;
  }
}
