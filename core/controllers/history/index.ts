export * from './controller-history.ts';
export * from './revision-client.ts';
