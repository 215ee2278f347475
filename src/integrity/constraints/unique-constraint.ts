import { UnbundledError } from '../../core/index.ts';

/** A uniqueness constraint enforced through the log: claims in, decisions out. */
export interface UniqueConstraint {
  /** e.g. `users.username`. */
  readonly name: string;
  readonly partitions: number;
  /** Topic of claims; a claim for value v goes to partition `partitionForKey(v)`. */
  readonly claimsTopic: string;
  /** Topic of decisions; the decision of a claim goes to the same partition number. */
  readonly decisionsTopic: string;
  /** Consumer group of the deciding processors. */
  readonly group: string;
}

/**
 * Declare that `key` is unique across `stream` (frozen descriptor). Enforcement: every claim of a
 * value is appended to the partition owning hash(value); one processor per partition decides
 * first come, first served.
 *
 * @example
 * const usernames = unique({ stream: 'users', key: 'username' });
 */
export function unique(def: {
  stream: string;
  key: string;
  partitions?: number;
}): UniqueConstraint {
  const name = `${def.stream}.${def.key}`;
  if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(name)) {
    throw new UnbundledError(
      'CONSTRAINT_NAME_INVALID',
      `unique(${JSON.stringify(def)}): stream and key must be A-Z a-z 0-9 _ - (they name topics)`,
    );
  }
  return Object.freeze({
    name,
    partitions: def.partitions ?? 4,
    claimsTopic: `ub.unique.${name}.claims`,
    decisionsTopic: `ub.unique.${name}.decisions`,
    group: `ub.unique.${name}`,
  });
}
