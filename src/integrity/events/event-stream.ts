import type { InferOutput, StandardSchemaV1 } from './standard-schema.ts';

/** An event stream whose log is the source of truth: a topic, a schema and an entity key. */
export interface EventStreamDef<S extends StandardSchemaV1 = StandardSchemaV1> {
  /** Topic name. */
  readonly name: string;
  readonly partitions: number;
  readonly schema: S;
  /** The entity key of an event: its partition and its expected-version counter. */
  readonly key: (event: InferOutput<S>) => string;
}

/**
 * Declare an event stream (frozen).
 *
 * @example
 * const orders = defineEventStream({
 *   name: 'orders', partitions: 4,
 *   schema: z.object({ orderId: z.string(), qty: z.number().int().positive() }),
 *   key: (e) => e.orderId,
 * });
 */
export function defineEventStream<S extends StandardSchemaV1>(
  def: EventStreamDef<S>,
): EventStreamDef<S> {
  return Object.freeze({ ...def });
}
