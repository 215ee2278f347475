/**
 * Child process of unique.fault.test.ts: owns the embedded log in argv[2], runs the deciders of
 * the `users.username` constraint and answers claims read from stdin.
 *
 *   stdin:  claim <claimId> <value>
 *   stdout: ready | answer <claimId> <accepted 0/1> <holder>
 *
 * Closing stdin stops it cleanly; the test SIGKILLs it at random moments.
 */
import { createInterface } from 'node:readline';
import { openEmbeddedLog } from '../../log/index.ts';
import { UniqueClaims } from './unique-claims.ts';
import { unique } from './unique-constraint.ts';
import { runUniqueProcessors } from './unique-processor.ts';

const dir = process.argv[2] as string;
const constraint = unique({ stream: 'users', key: 'username', partitions: 4 });
const log = await openEmbeddedLog({ dir, maintenanceIntervalMs: 0 });
const stop = new AbortController();
const running = runUniqueProcessors(log, constraint, stop.signal);
const claims = new UniqueClaims(log, constraint);
const say = (line: string) => process.stdout.write(`${line}\n`);
const pending: Promise<void>[] = [];
say('ready');

for await (const line of createInterface({ input: process.stdin })) {
  const [verb, claimId, value] = line.split(' ');
  if (verb !== 'claim' || claimId === undefined || value === undefined) continue;
  pending.push(
    claims.claim(value, { claimId, timeoutMs: 30_000 }).then((a) => {
      say(`answer ${a.claimId} ${a.accepted ? 1 : 0} ${a.holder}`);
    }),
  );
}
await Promise.all(pending);
claims.close();
stop.abort();
await running;
await log.close();
