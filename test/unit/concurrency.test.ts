import { describe, expect, it } from 'vitest';
import { limiter, mapBounded } from '../../src/concurrency.ts';

/** A call that counts how many run at once, and lasts a few timer turns. */
function counted(counter: { active: number; most: number }, before?: () => void) {
  return async () => {
    counter.active++;
    counter.most = Math.max(counter.most, counter.active);
    await new Promise((resolve) => setTimeout(resolve, 5));
    before?.();
    counter.active--;
  };
}

describe('limiter', () => {
  // A new call may arrive in any microtask after a call ends: between the end and the waiting call's resumption too.
  it.each([1, 2, 3, 4])('never runs more than its limit when a new call arrives %i microtask(s) after one ends', async (hops) => {
    const bounded = limiter(1);
    const counter = { active: 0, most: 0 };
    let late: Promise<void> | undefined;
    const arrive = (left: number): void =>
      queueMicrotask(() => {
        if (left > 1) arrive(left - 1);
        else late = bounded(counted(counter));
      });
    const first = bounded(counted(counter, () => arrive(hops)));
    const waiting = bounded(counted(counter));
    await Promise.all([first, waiting]);
    await late;
    expect(counter.most).toBe(1);
  });

  it('lets a failed call free its place', async () => {
    const bounded = limiter(1);
    await expect(bounded(() => Promise.reject(new Error('no')))).rejects.toThrow('no');
    await expect(bounded(() => Promise.resolve('yes'))).resolves.toBe('yes');
  });
});

describe('mapBounded', () => {
  it('keeps the order of the results with at most `limit` in flight', async () => {
    const counter = { active: 0, most: 0 };
    const results = await mapBounded([3, 1, 2, 5, 4], 2, async (item) => {
      await counted(counter)();
      return item * 10;
    });
    expect(results).toEqual([30, 10, 20, 50, 40]);
    expect(counter.most).toBe(2);
  });
});
