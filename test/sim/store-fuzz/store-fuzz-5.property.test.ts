import { defineStoreFuzzProperty } from './store-fuzz-property.ts';

// 4 batches x 40 = 160 faulty histories of a 5-member store per run of the suite (fast-check
// draws new seeds each time); larger campaigns: `ksim fuzz store --members 5 --runs N`.
defineStoreFuzzProperty(5, 40);
