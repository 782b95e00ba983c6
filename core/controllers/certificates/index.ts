export * from './csr-approving-controller.ts';
export * from './csr-controller.ts';
export * from './csr-signing-controller.ts';
