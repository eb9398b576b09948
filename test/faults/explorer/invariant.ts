// The rotation invariant (README "What happens when something fails" and "Overlapping runs"), as violations:
// - at every instant: the secret, once set, holds a key the action has not revoked;
// - when the runs have ended: every live key they minted is held by the secret, or explained — named by a
//   run's result as an unknown PUT's (writeUnknown: its keyId, or a key it superseded), kept by the in-flight
//   window (some result's inFlightKeys), or overtaken in the secret by a concurrent run's later PUT of a key
//   created within W of it;
//   Also explained: a key a run could not revoke because Kubiya stopped answering (an outage no run can revoke
//   through), when that run's failure names the key and leaves it to the next run;
// - after a clean rotation past W: the slot has exactly one live managed key, and the secret holds it.
import type { SlotResult } from '../../../src/results.ts';
import type { KubiyaKey } from '../../sandbox/kubiya-emulator.ts';
import { W, type World } from './world.ts';

/** Why a live, unheld key is not a leak; or how a run ended. Counted per interleaving. */
export type Explanation =
  | 'explained: unknown PUT'
  | 'explained: kept in flight'
  | 'explained: overtaken within W'
  | 'explained: Kubiya unreachable, named in the failure';

export function instantViolations(world: World): string[] {
  const held = world.held();
  if (held === undefined) return [];
  if (!held.key) return ['the secret holds a value Kubiya does not know'];
  if (held.key.revoked_at !== null) return [`the secret holds ${held.key.name} (${held.key.id}), which was revoked`];
  return [];
}

const created = (key: KubiyaKey) => Date.parse(key.created_at);

export function endViolations(world: World, explanations: Explanation[]): string[] {
  const violations: string[] = [];
  for (const run of world.runs) {
    if (run.crash) violations.push(`run ${run.spec.label} threw: ${run.crash}`);
    const result = run.results?.[0];
    if (result?.status === 'skipped') {
      // Step back (Revocation): no PUT, a warning naming the newer key, and the run's own key revoked.
      const put = world.scheduler.exchanges.some((exchange) => exchange.run === run.spec.label && exchange.request.method === 'PUT');
      if (put) violations.push(`run ${run.spec.label} stepped back after sending a PUT`);
      if (!run.log.some((line) => line.startsWith('warning: '))) violations.push(`run ${run.spec.label} stepped back without a warning`);
      const own = result.keyId === undefined ? undefined : world.kubiya.keyById(result.keyId);
      if (own && own.revoked_at === null && !/could NOT be revoked/.test(result.note ?? '')) {
        violations.push(`run ${run.spec.label} stepped back and left its own key ${own.name} live`);
      }
    }
    if (result?.status === 'failed' && /neither was revoked/.test(result.error ?? '') && !result.writeUnknown) {
      violations.push(`run ${run.spec.label}: an unknown PUT outcome is not flagged by writeUnknown (${result.error})`);
    }
  }
  const results = world.runs.flatMap((run) => run.results ?? []);
  const held = world.held()?.key;
  const byId = new Map(world.kubiya.keys().map((key) => [key.id, key]));
  for (const key of world.slotKeys()) {
    if (world.kubiya.keyStatus(key) !== 'active' || key.id === held?.id) continue;
    const why = explain(world, key, results, byId);
    if (why) explanations.push(why);
    else violations.push(`${key.name} (${key.id}) is live, not in the secret, and no rule explains it`);
  }
  return violations;
}

function explain(world: World, key: KubiyaKey, results: SlotResult[], byId: Map<string, KubiyaKey>): Explanation | undefined {
  for (const result of results) {
    if (!result.writeUnknown || !result.keyId) continue;
    const written = byId.get(result.keyId);
    if (key.id === result.keyId || (written && created(key) < created(written))) return 'explained: unknown PUT';
  }
  if (results.some((result) => result.inFlightKeys?.some((kept) => kept.id === key.id))) return 'explained: kept in flight';
  const unrevokable = results.some(
    (result) =>
      result.status === 'failed' &&
      result.error?.includes(key.name) &&
      /could NOT be revoked|could not be revoked|may have created key .* without confirming it/.test(result.error) &&
      /next (run|rotation)/.test(result.error),
  );
  if (unrevokable) return 'explained: Kubiya unreachable, named in the failure';
  const writes = world.writes;
  const stored = writes.findIndex((write) => write.keyId === key.id);
  if (stored >= 0) {
    const overtaken = writes.slice(stored + 1).some((later) => {
      const successor = later.keyId === undefined ? undefined : byId.get(later.keyId);
      return (
        successor !== undefined &&
        successor.id !== key.id &&
        later.run !== writes[stored]!.run &&
        Math.abs(created(successor) - created(key)) <= W
      );
    });
    if (overtaken) return 'explained: overtaken within W';
  }
  return undefined;
}

export function finalViolations(world: World): string[] {
  const violations: string[] = [];
  const last = world.runs.at(-1)!;
  const result = last.results?.[0];
  if (last.crash || result?.status !== 'rotated')
    violations.push(`the clean rotation did not rotate: ${last.crash ?? result?.error ?? result?.status}`);
  const live = world.slotKeys().filter((key) => world.kubiya.keyStatus(key) === 'active');
  const held = world.held()?.key;
  if (live.length !== 1)
    violations.push(`after the clean rotation the slot has ${live.length} live keys: ${live.map((key) => key.name).join(', ')}`);
  if (!held || !live.some((key) => key.id === held.id)) violations.push('after the clean rotation the secret does not hold the live key');
  return violations;
}

/** How a run ended, for the tally. */
export function outcomeOf(result: SlotResult | undefined): string[] {
  if (!result) return ['no result'];
  const outcomes: string[] = [];
  if (result.status === 'skipped') outcomes.push('stepped back');
  else if (result.status === 'rotated') outcomes.push('rotated');
  else if (result.writeUnknown || /neither was revoked/.test(result.error ?? '')) outcomes.push('unknown PUT');
  else if (/^revocation: /.test(result.error ?? '')) outcomes.push('rotated, revocation failed');
  else if (result.keyId) outcomes.push('rolled back');
  else outcomes.push('failed before minting');
  if (result.inFlightKeys?.length) outcomes.push('kept in flight');
  // rotation.ts's reason when the store refused to send a write past WriteOptions.sendBy
  if (/no write was sent more than \d+ minutes after the key was minted/.test(result.error ?? '')) outcomes.push('write deadline passed');
  return outcomes;
}
