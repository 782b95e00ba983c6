import { defineStoreFuzzProperty } from './store-fuzz-property.ts';

// 4 batches x 60 = 240 faulty histories of a 3-member store per run of the suite (fast-check
// draws new seeds each time); larger campaigns: `ksim fuzz store --members 3 --runs N`.
defineStoreFuzzProperty(3, 60);
