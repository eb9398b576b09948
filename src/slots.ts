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

export type SecretType = 'actions' | 'dependabot';
export type OrgSecretVisibility = 'all' | 'private' | 'selected';

interface SlotBase {
  /** what results and logs call it: `owner/repo`, `owner/repo@environment` or `org:NAME` */
  target: string;
  /** the key-name scope: the target, plus `/dependabot` or `/job/<job>` where the spec says */
  scope: string;
  secretName: string;
}

export interface RepositorySlot extends SlotBase {
  kind: 'repository' | 'dependabot';
  owner: string;
  repo: string;
}

export interface EnvironmentSlot extends SlotBase {
  kind: 'environment';
  owner: string;
  repo: string;
  environment: string;
}

export interface OrganizationSlot extends SlotBase {
  kind: 'organization';
  org: string;
  secretType: SecretType;
  /** used only when the secret does not exist yet: an existing secret keeps its own */
  visibilityOnCreate: OrgSecretVisibility;
  /** `owner/repo` entries that may read a new secret created with `selected` visibility */
  selectedOnCreate: string[];
}

/** Mint mode: a key for one job of the current run; it is never written to a secret. */
export interface JobSlot extends SlotBase {
  kind: 'job';
}

export type Slot = RepositorySlot | EnvironmentSlot | OrganizationSlot | JobSlot;

export function repositorySlot(owner: string, repo: string, secretName: string, secretType: SecretType = 'actions'): RepositorySlot {
  const target = `${owner.toLowerCase()}/${repo.toLowerCase()}`;
  const dependabot = secretType === 'dependabot';
  return {
    kind: dependabot ? 'dependabot' : 'repository',
    target,
    scope: dependabot ? `${target}/dependabot` : target,
    owner: owner.toLowerCase(),
    repo: repo.toLowerCase(),
    secretName,
  };
}

export function environmentSlot(owner: string, repo: string, environment: string, secretName: string): EnvironmentSlot {
  const target = `${owner.toLowerCase()}/${repo.toLowerCase()}@${environment}`;
  return { kind: 'environment', target, scope: target, owner: owner.toLowerCase(), repo: repo.toLowerCase(), environment, secretName };
}

export function organizationSlot(
  org: string,
  secretName: string,
  options: { secretType: SecretType; visibilityOnCreate: OrgSecretVisibility; selectedOnCreate: string[] },
): OrganizationSlot {
  const target = `org:${org.toLowerCase()}`;
  const scope = options.secretType === 'dependabot' ? `${target}/dependabot` : target;
  return { kind: 'organization', target, scope, org: org.toLowerCase(), secretName, ...options };
}

export function jobSlot(repository: string, job: string, secretName: string): JobSlot {
  const target = repository.toLowerCase();
  return { kind: 'job', target, scope: `${target}/job/${job}`, secretName };
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
