// Inputs → a validated Config. Every input error message lives here, and all of them are raised
// before the first request is sent.
import { FINDING_KINDS, parseFindingKinds, type FindingKind } from './audit.ts';
import { DURATION_FORMS, formatDuration, parseDuration } from './duration.ts';
import {
  environmentSlot,
  jobSlot,
  organizationSlot,
  repositorySlot,
  type OrgSecretVisibility,
  type Run,
  type SecretType,
  type Slot,
} from './slots.ts';

export type Mode = 'rotate' | 'mint' | 'revoke' | 'audit';
export const MODES: readonly Mode[] = ['rotate', 'mint', 'revoke', 'audit'];

export interface Config {
  mode: Mode;
  adminApiKey: string;
  kubiyaApiUrl: string;
  githubToken: string;
  githubApiUrl: string;
  slots: Slot[];
  secretName: string;
  keyNamePrefix: string;
  ttlMs: number;
  gracePeriodMs: number;
  revokePrevious: boolean;
  verify: boolean;
  dryRun: boolean;
  /** mint mode: the variable later steps read the key from; '' exports none */
  exportEnv: string;
  /** mint mode: revoke the key in the post step */
  revokeOnExit: boolean;
  run: Run;
  /** audit mode, `repositories: '*'`: every managed slot in the key list (`slots` is then empty) */
  allSlots?: boolean;
  /** audit mode: a slot whose newest active key expires within this is `expiring` */
  warnBeforeMs?: number;
  /** audit mode: the finding kinds that fail the step */
  failOn?: FindingKind[];
}

export class InputError extends Error {
  override name = 'InputError';
}

const MIN_TTL_MS = 5 * 60_000;
const MAX_DURATION_MS = 365 * 86_400_000;
const DEFAULT_TTL: Record<Mode, string> = { rotate: '30d', mint: '1h', revoke: '30d', audit: '30d' };

/** `getInput(name)` returns the trimmed input ('' when unset); `env` is the runner's environment. */
export function parseConfig(getInput: (name: string) => string, env: NodeJS.ProcessEnv): Config {
  const mode = parseMode(getInput('mode') || 'rotate');
  const adminApiKey = getInput('admin-api-key');
  if (!adminApiKey) {
    throw new InputError(
      "Input 'admin-api-key' is empty. Pass it from a secret (admin-api-key: ${{ secrets.KUBIYA_ADMIN_API_KEY }}). " +
        'Secrets are not passed to workflows triggered from forks, and Dependabot runs see only Dependabot secrets: ' +
        'run rotations on schedule or workflow_dispatch in the repository itself.',
    );
  }
  const run = parseRun(env);
  const dryRun = parseBoolean(getInput, 'dry-run', false);
  const githubToken = getInput('github-token');
  if (mode === 'rotate' && !dryRun && !githubToken) {
    throw new InputError(
      "Input 'github-token' is required by mode 'rotate' (unless dry-run is true): pass a fine-grained personal access " +
        'token with the repository permission "Secrets: Read and write", or a GitHub App token with that permission. ' +
        'The default GITHUB_TOKEN cannot write secrets.',
    );
  }
  const secretName = parseSecretName(getInput('secret-name') || 'KUBIYA_API_KEY');
  const ttlMs = parseDurationInput('ttl', getInput('ttl') || DEFAULT_TTL[mode], MIN_TTL_MS);
  const gracePeriodMs = parseDurationInput('grace-period', getInput('grace-period') || '0', 0);
  const audit = mode === 'audit' ? parseAuditInputs(getInput) : undefined;
  const slots = audit?.allSlots ? [] : parseSlots(mode, getInput, run, secretName);
  return {
    ...audit,
    mode,
    adminApiKey,
    kubiyaApiUrl: parseBaseUrl('kubiya-api-url', getInput('kubiya-api-url') || 'https://api.kubiya.ai'),
    githubToken,
    githubApiUrl: parseBaseUrl('github-api-url', getInput('github-api-url') || env['GITHUB_API_URL'] || 'https://api.github.com'),
    slots,
    secretName,
    keyNamePrefix: parseKeyNamePrefix(getInput('key-name-prefix') || 'gha'),
    ttlMs,
    gracePeriodMs,
    revokePrevious: parseBoolean(getInput, 'revoke-previous', true),
    verify: parseBoolean(getInput, 'verify', true),
    dryRun,
    exportEnv: parseExportEnv(getInput('export-env')),
    revokeOnExit: parseBoolean(getInput, 'revoke-on-exit', true),
    run,
  };
}

/** Audit mode's own inputs, and `repositories: '*'` (every managed slot; it narrows by nothing else). */
function parseAuditInputs(getInput: (name: string) => string): Pick<Config, 'allSlots' | 'warnBeforeMs' | 'failOn'> {
  const warnBeforeMs = parseDurationInput('warn-before', getInput('warn-before') || '7d', 0);
  // The runner applies the action.yml default (expired,expiring) when fail-on is not given: empty never fails.
  const { kinds, unknown } = parseFindingKinds(getInput('fail-on'));
  if (unknown.length > 0) {
    throw new InputError(
      `Input 'fail-on' names unknown finding kind(s) ${unknown.map((kind) => `'${kind}'`).join(', ')}: ` +
        `use a comma-separated list of ${FINDING_KINDS.join(', ')}, or leave it empty to never fail on findings.`,
    );
  }
  const allSlots = getInput('repositories') === '*';
  if (allSlots && (getInput('environment') || getInput('organization') || (getInput('secret-type') || 'actions') !== 'actions')) {
    throw new InputError(
      "Input 'repositories: *' audits every managed slot, whatever its repository, environment, organization or secret type: " +
        "remove 'environment', 'organization' and 'secret-type', or name the repositories.",
    );
  }
  return { allSlots, warnBeforeMs, failOn: kinds };
}

/** The runner applies the action.yml default (KUBIYA_API_KEY); an empty value exports none. */
function parseExportEnv(value: string): string {
  if (value === '') return '';
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(value) && !/^(GITHUB_|RUNNER_)/i.test(value)) return value;
  throw new InputError(
    `Input 'export-env' must be an environment variable name (letters, digits, underscores, not starting with a digit, GITHUB_ or RUNNER_), or empty to export none (got '${value}').`,
  );
}

/** The targets as slots: one per repository (repository, environment or Dependabot secret), one for an
 * organization secret, or the job's own slot in mint mode. */
function parseSlots(mode: Mode, getInput: (name: string) => string, run: Run, secretName: string): Slot[] {
  const environment = getInput('environment');
  const organization = getInput('organization');
  const secretType = parseChoice<SecretType>('secret-type', getInput('secret-type') || 'actions', ['actions', 'dependabot']);
  const visibility = parseChoice<OrgSecretVisibility>('org-secret-visibility', getInput('org-secret-visibility') || 'private', [
    'all',
    'private',
    'selected',
  ]);
  if (environment && organization) {
    throw new InputError("Inputs 'environment' and 'organization' cannot be combined: an environment secret belongs to a repository.");
  }
  if (environment && secretType === 'dependabot') {
    throw new InputError("Inputs 'environment' and 'secret-type: dependabot' cannot be combined: Dependabot secrets have no environments.");
  }
  if (mode === 'mint') {
    if (environment || organization || secretType !== 'actions') {
      throw new InputError(
        "Mode 'mint' writes no secret: remove 'environment', 'organization' and 'secret-type', which apply to rotate and revoke.",
      );
    }
    if (!/^[A-Za-z0-9_.-]+$/.test(run.job)) {
      throw new InputError("GITHUB_JOB is not set as the Actions runner sets it: mode 'mint' names the key after the job.");
    }
    return [jobSlot(run.repository, run.job, secretName)];
  }
  const repositories = parseRepositories(getInput('repositories') || run.repository, run.repository);
  if (organization) {
    if (!OWNER.test(organization)) throw new InputError(`Input 'organization' is not a GitHub organization name (got '${organization}').`);
    const foreign = repositories.find(({ owner }) => owner !== organization.toLowerCase());
    if (visibility === 'selected' && foreign) {
      throw new InputError(
        `Input 'repositories' names ${foreign.owner}/${foreign.repo}, which is not in organization '${organization}': ` +
          "with org-secret-visibility 'selected' it lists the organization's repositories that may read the secret.",
      );
    }
    const selectedOnCreate = visibility === 'selected' ? repositories.map(({ owner, repo }) => `${owner}/${repo}`) : [];
    return [organizationSlot(organization, secretName, { secretType, visibilityOnCreate: visibility, selectedOnCreate })];
  }
  if (environment) {
    if (environment.length > 255 || [...environment].some((char) => char < ' ' || char === '\u007f' || char === ':')) {
      throw new InputError(
        "Input 'environment' must be a GitHub environment name: at most 255 characters, no control characters, and no ':' (it separates the fields of key names).",
      );
    }
    return repositories.map(({ owner, repo }) => environmentSlot(owner, repo, environment, secretName));
  }
  return repositories.map(({ owner, repo }) => repositorySlot(owner, repo, secretName, secretType));
}

function parseChoice<T extends string>(name: string, value: string, choices: readonly T[]): T {
  if ((choices as readonly string[]).includes(value)) return value as T;
  throw new InputError(`Input '${name}' must be one of ${choices.join(', ')} (got '${value}').`);
}

function parseMode(value: string): Mode {
  return parseChoice('mode', value, MODES);
}

// The forms core.getBooleanInput accepts (YAML 1.2 core schema).
const TRUE = ['true', 'True', 'TRUE'];
const FALSE = ['false', 'False', 'FALSE'];

function parseBoolean(getInput: (name: string) => string, name: string, fallback: boolean): boolean {
  const value = getInput(name);
  if (value === '') return fallback;
  if (TRUE.includes(value)) return true;
  if (FALSE.includes(value)) return false;
  throw new InputError(`Input '${name}' must be true or false (got '${value}').`);
}

function parseDurationInput(name: string, value: string, minMs: number): number {
  const ms = parseDuration(value);
  const range = `at least ${minMs === 0 ? '0' : formatDuration(minMs)}, at most 365d`;
  if (ms === undefined) throw new InputError(`Input '${name}' is not a duration (got '${value}'): use ${DURATION_FORMS}; ${range}.`);
  if (ms < minMs || ms > MAX_DURATION_MS) throw new InputError(`Input '${name}' is out of range (got '${value}'): ${range}.`);
  return ms;
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

function parseBaseUrl(name: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InputError(`Input '${name}' is not a URL (got '${value}'): use an https:// URL such as https://api.example.com.`);
  }
  const loopback = LOOPBACK.test(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new InputError(
      `Input '${name}' must be an https:// URL (got '${value}'); http:// is accepted only for localhost and 127.0.0.0/8.`,
    );
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new InputError(`Input '${name}' must be a plain base URL without credentials, query or fragment.`);
  }
  return url.href.replace(/\/+$/, '');
}

// GitHub's rules: letters, digits and underscores, not starting with a digit or GITHUB_; case-insensitive.
function parseSecretName(value: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(value) || /^GITHUB_/i.test(value)) {
    throw new InputError(
      `Input 'secret-name' is not a valid GitHub secret name (got '${value}'): use letters, digits and underscores, ` +
        'not starting with a digit or GITHUB_.',
    );
  }
  return value.toUpperCase();
}

function parseKeyNamePrefix(value: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/.test(value)) {
    throw new InputError(
      `Input 'key-name-prefix' must be 1-32 letters, digits, '.', '_' or '-' (got '${value}'); ':' separates the fields of key names.`,
    );
  }
  return value;
}

const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
const REPO = /^(?!\.\.?$)[A-Za-z0-9._-]{1,100}$/;

/** `owner/repo` or bare `repo` entries separated by newlines or commas; duplicates collapse. */
export function parseRepositories(value: string, currentRepository: string): { owner: string; repo: string }[] {
  const currentOwner = currentRepository.split('/')[0] ?? '';
  const seen = new Map<string, { owner: string; repo: string }>();
  for (const entry of value
    .split(/[\n,]/)
    .map((part) => part.trim())
    .filter(Boolean)) {
    const parts = entry.split('/');
    const [owner, repo] = parts.length === 1 ? [currentOwner, parts[0]!] : [parts[0]!, parts[1] ?? ''];
    if (entry === '*') throw new InputError("Input 'repositories: *' (every managed slot) is accepted only by mode 'audit'.");
    if (parts.length > 2 || !OWNER.test(owner) || !REPO.test(repo)) {
      throw new InputError(`Input 'repositories' has an entry that is not owner/repo or repo (got '${entry}').`);
    }
    seen.set(`${owner}/${repo}`.toLowerCase(), { owner: owner.toLowerCase(), repo: repo.toLowerCase() });
  }
  if (seen.size === 0)
    throw new InputError("Input 'repositories' names no repository: give owner/repo entries separated by newlines or commas.");
  return [...seen.values()];
}

function parseRun(env: NodeJS.ProcessEnv): Run {
  const repository = env['GITHUB_REPOSITORY'] ?? '';
  const runId = env['GITHUB_RUN_ID'] ?? '';
  const runAttempt = env['GITHUB_RUN_ATTEMPT'] || '1';
  if (!/^[^/\s]+\/[^/\s]+$/.test(repository) || !/^\d+$/.test(runId) || !/^\d+$/.test(runAttempt)) {
    throw new InputError(
      'GITHUB_REPOSITORY, GITHUB_RUN_ID and GITHUB_RUN_ATTEMPT are not set as the Actions runner sets them: ' +
        'this action names keys after the workflow run, so it runs only inside GitHub Actions.',
    );
  }
  return {
    repository: repository.toLowerCase(),
    runId,
    runAttempt,
    serverUrl: (env['GITHUB_SERVER_URL'] || 'https://github.com').replace(/\/+$/, ''),
    job: env['GITHUB_JOB'] ?? '',
  };
}
