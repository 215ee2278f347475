/**
 * Event-time progress of one window operator: the watermark is the maximum event time seen
 * minus the allowed out-of-orderness. It only moves forward and is advanced record by record,
 * so where batch boundaries fall never changes which records are late.
 */
export class Watermark {
  readonly #outOfOrderness: number;
  #maxEventTime = Number.NEGATIVE_INFINITY;

  constructor(outOfOrderness: number) {
    this.#outOfOrderness = outOfOrderness;
  }

  get value(): number {
    return this.#maxEventTime - this.#outOfOrderness;
  }

  get maxEventTime(): number {
    return this.#maxEventTime;
  }

  /** Observe an event time; returns true when the watermark moved. */
  observe(t: number): boolean {
    if (t <= this.#maxEventTime) return false;
    this.#maxEventTime = t;
    return true;
  }

  restore(maxEventTime: number): void {
    this.#maxEventTime = maxEventTime;
  }
}
