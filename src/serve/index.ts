/**
 * Observing derived state: the read API (rows, pages, search, read-your-writes), live changes
 * over Server-Sent Events with exact resume, Prometheus metrics, and the dashboard.
 */
export { ChangeHub, type ChangeSink, type ResyncReason } from './change-hub.ts';
export type { AdminHooks } from './context.ts';
export { createLogger, redactUrl } from './logger.ts';
export { describePlan, type Plan, type PlanNode } from './plan.ts';
export { relevantPosition, waitForPosition } from './position-wait.ts';
export {
  createServer,
  type ServeHandle,
  type ServeOptions,
  serve,
  type UnbundledServer,
} from './server.ts';
export type { SystemStatus, ViewStatusJson } from './status.ts';
