export * from './memory-view.ts';
