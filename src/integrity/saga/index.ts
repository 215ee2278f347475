export * from './saga-def.ts';
export * from './saga-runner.ts';
