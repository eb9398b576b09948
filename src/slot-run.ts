// The frame every multi-slot mode runs in: authenticate the admin key and list keys once (with any per-slot
// preparation overlapping them: one round trip), then each slot's work, a bounded number at a time, its log
// lines printed together as one group. A failure of the opening fails every slot with the same message.
import { mapBounded } from './concurrency.ts';
import type { ApiKey, KeyService } from './key-service.ts';
import { slotResult, type SlotResult } from './results.ts';
import type { Runner, StepLog } from './runner.ts';
import { errorMessage } from './service-error.ts';
import type { Slot } from './slots.ts';

export type SlotLog = Pick<StepLog, 'info' | 'warning'>;

export interface RunLog {
  /** Lines about one slot; `done` (slots done, this one included, of all) when its work is over: they are shown as one group. */
  forSlot(title: string): SlotLog & { done(progress?: { done: number; total: number }): void };
}

export function groupedLog(runner: Pick<Runner, 'group'>): RunLog {
  return {
    forSlot(title) {
      const lines: { warning: boolean; text: string }[] = [];
      return {
        info: (text) => lines.push({ warning: false, text }),
        warning: (text) => lines.push({ warning: true, text }),
        done: (progress) => runner.group(title, lines, progress),
      };
    },
  };
}

/** Slots in flight at once (each with its own requests). */
const SLOTS_IN_FLIGHT = 8;

export interface SlotRun<S extends Pick<Slot, 'target' | 'secretName'>, P> {
  keys: KeyService;
  log: RunLog;
  /** the slots, or (audit's `repositories: '*'`) the slots found in the key list */
  slots: readonly S[] | ((listing: ApiKey[]) => S[]);
  /** per slot, overlapped with the opening round trip (rotate: the secret's public key) */
  prepare?: (slot: S) => Promise<P>;
  /** the title of a slot's log group (default: its target) */
  title?: (slot: S) => string;
}

export async function runSlots<S extends Pick<Slot, 'target' | 'secretName'>, P = undefined, D = never>(
  run: SlotRun<S, P>,
  work: (slot: S, context: { listing: ApiKey[]; prepared: P; log: SlotLog }) => Promise<SlotResult<D>>,
): Promise<SlotResult<D>[]> {
  const fixed = typeof run.slots === 'function' ? undefined : run.slots;
  const [admin, listing, ...prepared] = await Promise.allSettled([
    run.keys.authenticate(),
    run.keys.listKeys(),
    ...(fixed && run.prepare ? fixed.map(run.prepare) : []),
  ]);
  if (admin.status === 'rejected' || listing.status === 'rejected') {
    const error = errorMessage(admin.status === 'rejected' ? admin.reason : (listing as PromiseRejectedResult).reason);
    return (fixed ?? [{ target: '*', secretName: '*' }]).map((slot) => slotResult<D>(slot, 'failed', { error }));
  }
  const slots = typeof run.slots === 'function' ? run.slots(listing.value) : run.slots;
  let done = 0;
  return mapBounded(slots, SLOTS_IN_FLIGHT, async (slot, index) => {
    const log = run.log.forSlot(run.title?.(slot) ?? slot.target);
    try {
      const ready = prepared[index];
      if (ready?.status === 'rejected') return slotResult<D>(slot, 'failed', { error: errorMessage(ready.reason) });
      return await work(slot, { listing: listing.value, prepared: ready?.value as P, log });
    } finally {
      log.done({ done: ++done, total: slots.length });
    }
  });
}
