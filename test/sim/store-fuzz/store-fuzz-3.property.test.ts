import { defineStoreFuzzProperty } from './store-fuzz-property.ts';

// 4 batches x 120 = 480 faulty histories of a 3-member store.
defineStoreFuzzProperty(3, 120);
