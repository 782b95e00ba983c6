export * from './metrics-server.ts';
export * from './metrics-api.ts';
export * from './storage.ts';
