import { fromUtf8 } from '../../core/index.ts';
import type { Log } from '../../log/index.ts';
import type { UniqueConstraint } from '../constraints/unique-constraint.ts';
import { type Claim, type Decision, UniqueState } from '../constraints/unique-decide.ts';

async function readAll<T>(
  log: Log,
  topic: string,
  partition: number,
): Promise<{ offset: number; v: T }[]> {
  const out: { offset: number; v: T }[] = [];
  for await (const b of log.read(topic, partition, 0, { follow: false })) {
    for (const r of b)
      if (r.value !== null) out.push({ offset: r.offset, v: JSON.parse(fromUtf8(r.value)) as T });
  }
  return out;
}

/**
 * Check a unique constraint's log: every claim answered exactly once (by claim offset), the
 * decisions equal a from-scratch recomputation over the claims (determinism), and each value
 * has at most one accepted claim id. Returns the accepted claim ids per value.
 */
export async function checkUniqueLog(log: Log, c: UniqueConstraint): Promise<Map<string, string>> {
  const winners = new Map<string, string>();
  for (let p = 0; p < c.partitions; p++) {
    const claims = await readAll<Claim>(log, c.claimsTopic, p);
    const decisions = (await readAll<Decision>(log, c.decisionsTopic, p)).map((d) => d.v);
    const state = new UniqueState();
    const expected = claims.map((cl) => state.decide(cl.v, cl.offset));
    if (JSON.stringify(decisions) !== JSON.stringify(expected)) {
      throw new Error(`partition ${p}: decisions differ from a recomputation over the claims`);
    }
    for (const d of decisions) {
      if (!d.accepted || d.repeat) continue;
      if (winners.has(d.value)) throw new Error(`value ${d.value} accepted twice`);
      winners.set(d.value, d.claimId);
    }
  }
  return winners;
}
