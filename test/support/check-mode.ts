/**
 * Every simulation in the test suite runs in check mode unless it chooses (DESIGN.md §8): each
 * message is frozen when sent and a sample round-trips through its codec, and components freeze
 * what they share, so an aliasing bug throws in whichever test first exercises it.
 */
import fc from 'fast-check';
import { setDefaultCheckImmutability } from '../../sim/simulation.ts';

setDefaultCheckImmutability(true);

// Mutation testing (test/mutation/mutate.mjs) needs a mutant's verdict not to depend on the
// seed fast-check draws: one fixed seed for every property there. A mutant is killed by the
// first counterexample, so shrinking it (often many more simulations) is skipped.
if (process.env['KSIM_MUTATION'] === '1') fc.configureGlobal({ seed: 1, endOnFailure: true });
