/** A response as stored with its idempotency key and replayed byte for byte on retries. */
export interface StoredResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
}

/** How a call through `withIdempotency` ended. */
export interface IdempotencyOutcome {
  /**
   * `executed`: the handler ran and its response was stored with the business write;
   * `replayed`: a stored response was returned, the handler did not run;
   * `not-stored`: the handler ran, its transaction was rolled back (validation failure), the key
   * stays free for a corrected retry.
   */
  readonly kind: 'executed' | 'replayed' | 'not-stored';
  readonly response: StoredResponse;
  readonly requestId: string;
}
