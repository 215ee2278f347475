import type { Runtime } from '../system/index.ts';
import type { VersionedView } from '../views/index.ts';
import type { ChangeHub } from './change-hub.ts';
import type { Logger } from './logger.ts';

/** What the server knows about one running view. */
export interface ServedView {
  readonly name: string;
  readonly store: VersionedView<unknown>;
  readonly storeKind: string;
  /** Topics the view reads (for filtering read-your-writes tokens). */
  readonly topics: ReadonlySet<string>;
  readonly hub: ChangeHub;
}

/** Optional admin operations; each endpoint answers 501 until its hook exists. */
export interface AdminHooks {
  rebuild?(view: string): Promise<unknown>;
  verify?(view: string): Promise<unknown>;
  forget?(subject: string): Promise<unknown>;
  replayDeadLetters?(view: string | undefined): Promise<unknown>;
}

/** Shared by the route modules of one server. */
export interface ServeContext {
  readonly runtime: Runtime;
  readonly views: ReadonlyMap<string, ServedView>;
  /** Default and maximum wait for `?after=` (ms). */
  readonly waitTimeoutMs: number;
  readonly admin: AdminHooks;
  readonly log: Logger;
}
