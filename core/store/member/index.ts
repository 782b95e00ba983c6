export * from './kv-member.ts';
export * from './member-protocol.ts';
export * from './member-probe.ts';
export * from './lessor.ts';
export * from './wal.ts';
export * from './wal-codec.ts';
export * from './crc32.ts';
export * from './op-codec.ts';
