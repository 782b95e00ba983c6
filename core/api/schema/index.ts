export * from './duplicate-fields.ts';
export * from './schema.ts';
export * from './unknown-fields.ts';
export * from './type-errors.ts';
