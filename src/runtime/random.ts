// Deterministic, seedable randomness for jitter and sampling: tests pass a seed and get the same sequence
// every run; production uses Math.random.

export type Random = () => number;

/** mulberry32: a tiny 32-bit PRNG, uniform in [0, 1). Plenty for jitter and sampling, not for secrets. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
