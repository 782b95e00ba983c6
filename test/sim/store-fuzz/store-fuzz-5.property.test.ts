import { defineStoreFuzzProperty } from './store-fuzz-property.ts';

// 4 batches x 80 = 320 faulty histories of a 5-member store.
defineStoreFuzzProperty(5, 80);
