// A slot is one secret in one place; each slot has its own managed keys, named so that a key can be
// traced to the slot and the run that minted it, and so that no other key is ever mistaken for one.
import { randomUUID } from 'node:crypto';

export interface Run {
  /** owner/repo of the workflow run */
  repository: string;
  runId: string;
  runAttempt: string;
  serverUrl: string;
  job: string;
  /** the run's page, when it is not a GitHub Actions run (a GitLab pipeline); undefined outside CI */
  url?: string;
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

export interface EnvironmentSlot extends Omit<RepositorySlot, 'kind'> {
  kind: 'environment';
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

/** A GitLab project's CI/CD variable, in one environment scope (`*`: every environment). */
export interface GitLabProjectSlot extends SlotBase {
  kind: 'gitlab-project';
  /** the server's host name, lower-cased, without port */
  host: string;
  /** the project's full path, lower-cased */
  project: string;
  environmentScope: string;
}

/** A GitLab group's CI/CD variable (one slot, like an organization secret). */
export interface GitLabGroupSlot extends SlotBase {
  kind: 'gitlab-group';
  host: string;
  /** the group's full path, lower-cased */
  group: string;
}

export type GitHubSecretSlot = RepositorySlot | EnvironmentSlot | OrganizationSlot;
export type GitLabSlot = GitLabProjectSlot | GitLabGroupSlot;
/** A slot whose key is written to a store (a GitHub secret, a GitLab variable): every slot but mint mode's. */
export type SecretSlot = GitHubSecretSlot | GitLabSlot;
export type Slot = SecretSlot | JobSlot;

export function repositorySlot(owner: string, repo: string, secretName: string, secretType: SecretType = 'actions'): RepositorySlot {
  owner = owner.toLowerCase();
  repo = repo.toLowerCase();
  const target = `${owner}/${repo}`;
  if (secretType === 'dependabot') return { kind: 'dependabot', target, scope: `${target}/dependabot`, owner, repo, secretName };
  return { kind: 'repository', target, scope: target, owner, repo, secretName };
}

export function environmentSlot(owner: string, repo: string, environment: string, secretName: string): EnvironmentSlot {
  owner = owner.toLowerCase();
  repo = repo.toLowerCase();
  const target = `${owner}/${repo}@${environment}`;
  return { kind: 'environment', target, scope: target, owner, repo, environment, secretName };
}

export function organizationSlot(
  org: string,
  secretName: string,
  options: { secretType: SecretType; visibilityOnCreate: OrgSecretVisibility; selectedOnCreate: string[] },
): OrganizationSlot {
  org = org.toLowerCase();
  const target = `org:${org}`;
  const scope = options.secretType === 'dependabot' ? `${target}/dependabot` : target;
  return { kind: 'organization', target, scope, org, secretName, ...options };
}

export function gitLabProjectSlot(host: string, project: string, environmentScope: string, secretName: string): GitLabProjectSlot {
  host = host.toLowerCase();
  project = project.toLowerCase();
  const target = environmentScope === '*' ? `${host}/${project}` : `${host}/${project}@${environmentScope}`;
  return { kind: 'gitlab-project', target, scope: target, host, project, environmentScope, secretName };
}

export function gitLabGroupSlot(host: string, group: string, secretName: string): GitLabGroupSlot {
  host = host.toLowerCase();
  group = group.toLowerCase();
  const target = `group:${host}/${group}`;
  return { kind: 'gitlab-group', target, scope: target, host, group, secretName };
}

export function jobSlot(repository: string, job: string, secretName: string): JobSlot {
  const target = repository.toLowerCase();
  return { kind: 'job', target, scope: `${target}/job/${job}`, secretName };
}

/** Every managed key of the slot starts with this; nothing else does (the scope ends at a `:`). */
function slotKeyPrefix(slot: Slot, keyNamePrefix: string): string {
  return `${keyNamePrefix}:${slot.scope}:${slot.secretName}:`;
}

const NAME_RUN = /^run-(\d+)-(\d+)$/;
/** Job ids as mint mode accepts GITHUB_JOB: letters, digits, `.`, `-` and `_`. */
const JOB_KEY = /^([A-Za-z0-9_.-]+):([A-Z0-9_]+):run-\d+-\d+$/;

export function managedKeyName(slot: Slot, keyNamePrefix: string, run: Run): string {
  return `${slotKeyPrefix(slot, keyNamePrefix)}run-${run.runId}-${run.runAttempt}`;
}

/** A token unique to one create call, carried in the key's description (see isKeyOfMint). */
export function newMintId(): string {
  return randomUUID().slice(0, 8);
}

/** The mint id comes first, so that a server that shortens descriptions keeps it. */
export function keyDescription(slot: Slot, run: Run, mintId: string): string {
  return (
    `CI key (mint ${mintId}) for the ${slot.secretName} secret of ${slot.target}, minted by kubiya/api-key-action ` +
    `in ${run.url ?? `${run.serverUrl}/${run.repository}/actions/runs/${run.runId}`} (attempt ${run.runAttempt}, job ${run.job})`
  );
}

/**
 * Whether a listed key is provably the one the create call with this name and mint id made: its description carries
 * the mint id. Two jobs of one run (and two mint steps of one job) give their keys the same name, so a key listed
 * without a description proves nothing: it is never taken for this call's, and so never revoked as its stray.
 */
export function isKeyOfMint(key: { name: string; description?: string }, name: string, mintId: string): boolean {
  return key.name === name && key.description !== undefined && key.description.includes(`(mint ${mintId})`);
}

/** The whole name, by its grammar: `<prefix>:<scope>:<SECRET_NAME>:run-<id>-<attempt>`. */
export function isSlotKey(name: string, slot: Slot, keyNamePrefix: string): boolean {
  const head = slotKeyPrefix(slot, keyNamePrefix);
  return name.startsWith(head) && NAME_RUN.test(name.slice(head.length));
}

/**
 * A mint-mode key of any job of a repository slot's repository, with the slot's secret name:
 * `<prefix>:owner/repo/job/<job>:<SECRET_NAME>:run-<id>-<attempt>`.
 */
export function isJobKeyOf(name: string, slot: RepositorySlot, keyNamePrefix: string): boolean {
  const head = `${keyNamePrefix}:${slot.target}/job/`;
  if (!name.startsWith(head)) return false;
  return JOB_KEY.exec(name.slice(head.length))?.[2] === slot.secretName;
}

export const NAME_PREFIX = /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/;
const NAME_SECRET = /^(?!GITHUB_)[A-Z_][A-Z0-9_]*$/;
const NAME_OWNER = /^[a-z0-9][a-z0-9-]{0,38}$/;
const NAME_REPO = /^(?!\.\.?$)[a-z0-9._-]{1,100}$/;
const NAME_JOB = /^[A-Za-z0-9_-]+$/;

/**
 * The slot and run of a managed key name, by the exact grammar `<prefix>:<scope>:<SECRET_NAME>:run-<id>-<attempt>`
 * (scopes as the slot constructors above build them); undefined for any other name. Pure: whatever this returns,
 * `managedKeyName(slot, prefix, run)` gives the name back.
 */
export function parseManagedKeyName(name: string): { prefix: string; slot: Slot; runId: string; runAttempt: string } | undefined {
  const fields = name.split(':');
  if (fields.length < 4) return undefined;
  const prefix = fields[0]!;
  const run = NAME_RUN.exec(fields.at(-1)!);
  const secretName = fields.at(-2)!;
  const scope = fields.slice(1, -2).join(':');
  if (!NAME_PREFIX.test(prefix) || !run || !NAME_SECRET.test(secretName)) return undefined;
  const slot = slotOfScope(scope, secretName);
  return slot && { prefix, slot, runId: run[1]!, runAttempt: run[2]! };
}

const NAME_HOST = /^[a-z0-9-]+(\.[a-z0-9-]+)+$/;
const NAME_GITLAB_PATH = /^[a-z0-9_][a-z0-9_.-]*(\/[a-z0-9_][a-z0-9_.-]*)*$/;

/** GitLab scopes, which begin with a host name (a dot in it: a GitHub owner has none): `host/path[@scope]`, `group:host/path`. */
function gitLabSlotOfScope(scope: string, secretName: string): Slot | undefined {
  const group = /^group:([^/@]+)\/([^@]+)$/.exec(scope);
  if (group)
    return NAME_HOST.test(group[1]!) && NAME_GITLAB_PATH.test(group[2]!) ? gitLabGroupSlot(group[1]!, group[2]!, secretName) : undefined;
  const [path, environment] = splitEnvironment(scope);
  const [host = '', ...rest] = path.split('/');
  const project = rest.join('/');
  if (!NAME_HOST.test(host) || rest.length < 2 || !NAME_GITLAB_PATH.test(project)) return undefined;
  if (environment === undefined) return gitLabProjectSlot(host, project, '*', secretName);
  // Every environment (`*`) is the bare path: `@*` is never written.
  return isEnvironmentName(environment) && environment !== '*' ? gitLabProjectSlot(host, project, environment, secretName) : undefined;
}

function slotOfScope(scope: string, secretName: string): Slot | undefined {
  if (scope.startsWith('group:') || scope.split('/')[0]!.includes('.')) return gitLabSlotOfScope(scope, secretName);
  const org = /^org:([^/:]+)(\/dependabot)?$/.exec(scope);
  if (org) {
    if (!NAME_OWNER.test(org[1]!)) return undefined;
    const secretType: SecretType = org[2] ? 'dependabot' : 'actions';
    return organizationSlot(org[1]!, secretName, { secretType, visibilityOnCreate: 'private', selectedOnCreate: [] });
  }
  if (scope.includes(':')) return undefined;
  const [path, environment] = splitEnvironment(scope);
  const [owner = '', repo = '', ...rest] = path.split('/');
  if (!NAME_OWNER.test(owner) || !NAME_REPO.test(repo)) return undefined;
  if (environment !== undefined)
    return rest.length === 0 && isEnvironmentName(environment) ? environmentSlot(owner, repo, environment, secretName) : undefined;
  if (rest.length === 0) return repositorySlot(owner, repo, secretName);
  if (rest.length === 1 && rest[0] === 'dependabot') return repositorySlot(owner, repo, secretName, 'dependabot');
  if (rest.length === 2 && rest[0] === 'job' && NAME_JOB.test(rest[1]!)) return jobSlot(`${owner}/${repo}`, rest[1]!, secretName);
  return undefined;
}

/** A scope's path, and what follows its first `@`: the environment. */
function splitEnvironment(scope: string): [path: string, environment?: string] {
  const at = scope.indexOf('@');
  return at < 0 ? [scope] : [scope.slice(0, at), scope.slice(at + 1)];
}

/** An environment name (GitHub) or scope (GitLab) in a key name: 1 to 255 characters, no control characters. */
export function isEnvironmentName(name: string): boolean {
  return name.length > 0 && name.length <= 255 && ![...name].some((char) => char < ' ' || char === '\u007f');
}
