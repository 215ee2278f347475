/** Record headers the integrity layer adds beside `HEADERS.requestId`. */
export const INTEGRITY_HEADERS = {
  /** Index of the record among the records one request produced (dedupe key with the id). */
  requestSeq: 'ub-request-seq',
  /** Fingerprint of the request, so a reused key with other content is refused (422). */
  requestFingerprint: 'ub-request-fp',
  /** Version of the entity key after this event (1 for its first event). */
  keyVersion: 'ub-key-version',
} as const;
