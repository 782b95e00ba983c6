export * from './image-locality.ts';
