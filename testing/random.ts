/**
 * Seeded pseudo-random numbers for reproducible fuzzing in tests.
 *
 * @module
 */

/**
 * mulberry32: a tiny 32-bit PRNG; the same seed always yields the same sequence,
 * so a failing fuzz case can be replayed.
 *
 * @param seed any 32-bit integer
 * @returns a function giving floats in [0, 1)
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
