export * from './append-events.ts';
export * from './event-appender.ts';
export * from './event-stream.ts';
export * from './integrity-headers.ts';
export * from './keyed-mutex.ts';
export * from './partition-index.ts';
export * from './standard-schema.ts';
