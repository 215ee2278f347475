export { createLruView, type LruViewOptions } from './lru-view.ts';
export { createRedisView, type RedisScriptClient, type RedisViewOptions } from './redis-view.ts';
