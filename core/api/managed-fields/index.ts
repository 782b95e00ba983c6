export * from './field-manager.ts';
export * from './field-set.ts';
export * from './type-model.ts';
