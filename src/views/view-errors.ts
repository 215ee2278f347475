import { UnbundledError } from '../core/errors.ts';

/** `promote` of a version that was never opened/built. */
export function missingVersion(name: string, version: string): UnbundledError {
  return new UnbundledError(
    'VIEW_VERSION_MISSING',
    `view "${name}" has no version "${version}" to promote; open it (view.version(v).open()) and build it first`,
  );
}

/** `drop` of the live version. */
export function dropLive(name: string, version: string): UnbundledError {
  return new UnbundledError(
    'VIEW_VERSION_LIVE',
    `view "${name}": version "${version}" is live and cannot be dropped; promote another version first`,
  );
}

/** A store used before `open()` or after `close()`. */
export function notOpen(name: string, version: string): UnbundledError {
  return new UnbundledError(
    'VIEW_NOT_OPEN',
    `view "${name}" version "${version}" is not open; call open() before apply/get/scan (or it was closed)`,
  );
}

/** A store whose version was dropped while a handle was open. */
export function dropped(name: string, version: string): UnbundledError {
  return new UnbundledError(
    'VIEW_VERSION_DROPPED',
    `view "${name}" version "${version}" was dropped while open; open the live version instead`,
  );
}

/** A scan limit that is not a positive integer. */
export function badLimit(name: string, limit: number): UnbundledError {
  return new UnbundledError(
    'VIEW_SCAN_LIMIT_INVALID',
    `view "${name}": scan limit ${limit} must be a positive integer`,
  );
}

/** Throw unless `limit` is a positive integer. */
export function checkLimit(name: string, limit: number): void {
  if (!Number.isInteger(limit) || limit < 1) throw badLimit(name, limit);
}
