/**
 * The request id derived from a client-scoped idempotency key. It goes into every record a
 * request produces (`HEADERS.requestId`), so a view can drop a record it has already applied
 * even when the same request reached the log twice by different paths (the end-to-end argument).
 * The client id is URI-encoded, so it cannot contain the ':' separator and ids never collide.
 *
 * @example
 * requestIdFor('acme', 'c0ffee') // 'acme:c0ffee'
 */
export function requestIdFor(clientId: string, key: string): string {
  return `${encodeURIComponent(clientId)}:${key}`;
}
