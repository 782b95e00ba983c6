export * from './csr-approving-controller.ts';
export * from './csr-controller.ts';
export * from './csr-signing-controller.ts';
export * from './stand-in-signer.ts';
