/**
 * Every simulation in the test suite runs in check mode unless it chooses (DESIGN.md §8): each
 * message is frozen when sent and a sample round-trips through its codec, and components freeze
 * what they share, so an aliasing bug throws in whichever test first exercises it.
 */
import { setDefaultCheckImmutability } from '../../sim/simulation.ts';

setDefaultCheckImmutability(true);
