export * from './balances.ts';
export * from './request-transfer.ts';
export * from './transfer-def.ts';
export * from './transfer-splitter.ts';
