// A slot is one secret in one place; each slot has its own managed keys, named so that a key can be
// traced to the slot and the run that minted it, and so that no other key is ever mistaken for one.

export interface Run {
  /** owner/repo of the workflow run */
  repository: string;
  runId: string;
  runAttempt: string;
  serverUrl: string;
  job: string;
}

export interface Slot {
  /** what results and logs call it: `owner/repo` */
  target: string;
  owner: string;
  repo: string;
  secretName: string;
  /** the key-name scope: `owner/repo` */
  scope: string;
}

export function repositorySlot(owner: string, repo: string, secretName: string): Slot {
  const target = `${owner.toLowerCase()}/${repo.toLowerCase()}`;
  return { target, owner: owner.toLowerCase(), repo: repo.toLowerCase(), secretName, scope: target };
}

/** Mint mode: a key for one job of the current run, named after the job. */
export function jobSlot(repository: string, job: string, secretName: string): Slot {
  const [owner = '', repo = ''] = repository.toLowerCase().split('/');
  return { target: `${owner}/${repo}`, owner, repo, secretName, scope: `${owner}/${repo}/job/${job}` };
}

/** Every managed key of the slot starts with this; nothing else does (the scope ends at a `:`). */
export function slotKeyPrefix(slot: Slot, keyNamePrefix: string): string {
  return `${keyNamePrefix}:${slot.scope}:${slot.secretName}:run-`;
}

export function managedKeyName(slot: Slot, keyNamePrefix: string, run: Run): string {
  return `${slotKeyPrefix(slot, keyNamePrefix)}${run.runId}-${run.runAttempt}`;
}

export function keyDescription(slot: Slot, run: Run): string {
  return (
    `CI key for the ${slot.secretName} secret of ${slot.target}, minted by kubiya/api-key-action ` +
    `in ${run.serverUrl}/${run.repository}/actions/runs/${run.runId} (attempt ${run.runAttempt})`
  );
}

export function isSlotKey(name: string, slot: Slot, keyNamePrefix: string): boolean {
  return name.startsWith(slotKeyPrefix(slot, keyNamePrefix));
}

/** The run id and attempt a managed key name records, to order keys whose creation times tie. */
export function runOfKeyName(name: string): { runId: bigint; attempt: number } | undefined {
  const match = /:run-(\d+)-(\d+)$/.exec(name);
  return match ? { runId: BigInt(match[1]!), attempt: Number(match[2]) } : undefined;
}
