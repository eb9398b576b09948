/** Map over items with at most `limit` calls in flight, keeping the order of the results. */
export function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const bounded = limiter(limit);
  return Promise.all(items.map((item, index) => bounded(() => fn(item, index))));
}

/** At most `limit` of the calls passed to the returned function run at once, whoever makes them; the rest wait in turn. */
export function limiter(limit: number): <R>(fn: () => Promise<R>) => Promise<R> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (fn) => {
    // A woken call takes the place of the one that ended (it is never freed in between, so a newcomer cannot take it).
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    else running++;
    try {
      return await fn();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}
