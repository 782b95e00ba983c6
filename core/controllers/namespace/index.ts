export * from './namespace-controller.ts';
export * from './namespaced-resources-deleter.ts';
