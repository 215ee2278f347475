export * from './request-deduper.ts';
