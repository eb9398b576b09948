// The inputs every mode shares, parsed and validated: each mode (src/modes/) builds its own typed config from
// these, and every input error is raised before the first request is sent.
import { DURATION_FORMS, formatDuration, parseDuration } from './duration.ts';
import {
  environmentSlot,
  gitLabGroupSlot,
  gitLabProjectSlot,
  isEnvironmentName,
  NAME_PREFIX,
  organizationSlot,
  repositorySlot,
  type Run,
  type SecretSlot,
  type SecretType,
} from './slots.ts';

export class InputError extends Error {
  override name = 'InputError';
}

/** An input by name: the trimmed value, '' when unset (the runner applies action.yml's defaults first). */
export type Inputs = (name: string) => string;

const MIN_TTL_MS = 5 * 60_000;
const MAX_DURATION_MS = 365 * 86_400_000;

/** The inputs of every mode that works on managed keys: Kubiya, the run that names them, and their names. */
export interface KeyInputs {
  adminApiKey: string;
  kubiyaApiUrl: string;
  run: Run;
  secretName: string;
  keyNamePrefix: string;
  dryRun: boolean;
}

/** GitLab CI/CD variables as the store (input `store: gitlab`). */
export interface GitLabInputs {
  /** '' when not given */
  token: string;
  /** `<server>/api/v4` */
  apiUrl: string;
  /** a variable created by the rotation is protected (an existing one keeps its own) */
  protectedOnCreate: boolean;
  /** a variable created by the rotation is masked and hidden, not only masked */
  hiddenOnCreate: boolean;
}

/** Where the modes that write or read the key keep it: GitHub secrets, or GitLab CI/CD variables. */
export interface StoreInputs {
  store: 'github' | 'gitlab';
  /** '' when not given */
  githubToken: string;
  githubApiUrl: string;
  /** store 'gitlab' only */
  gitlab?: GitLabInputs;
}

export function parseKeyInputs(input: Inputs, env: NodeJS.ProcessEnv): KeyInputs {
  const adminApiKey = input('admin-api-key');
  if (!adminApiKey) {
    throw new InputError(
      "Input 'admin-api-key' is empty. Pass it from a secret (admin-api-key: ${{ secrets.KUBIYA_ADMIN_API_KEY }}). " +
        'Secrets are not passed to workflows triggered from forks, and Dependabot runs see only Dependabot secrets: ' +
        'run rotations on schedule or workflow_dispatch in the repository itself.',
    );
  }
  return {
    adminApiKey,
    kubiyaApiUrl: parseKubiyaApiUrl(input),
    run: parseRun(env),
    secretName: parseSecretName(input('secret-name') || 'KUBIYA_API_KEY', input('store') === 'gitlab'),
    keyNamePrefix: parseKeyNamePrefix(input('key-name-prefix') || (input('store') === 'gitlab' ? 'gl' : 'gha')),
    dryRun: parseBoolean(input, 'dry-run', false),
  };
}

export function parseKubiyaApiUrl(input: Inputs): string {
  return parseBaseUrl('kubiya-api-url', input('kubiya-api-url') || 'https://api.kubiya.ai');
}

export function parseGitHubApiUrl(input: Inputs, env: NodeJS.ProcessEnv): string {
  return parseBaseUrl('github-api-url', input('github-api-url') || env['GITHUB_API_URL'] || 'https://api.github.com');
}

export function parseStoreInputs(input: Inputs, env: NodeJS.ProcessEnv): StoreInputs {
  const store = parseChoice<StoreInputs['store']>('store', input('store') || 'github', ['github', 'gitlab']);
  const github = { githubToken: input('github-token'), githubApiUrl: parseGitHubApiUrl(input, env) };
  if (store === 'github') return { ...github, store };
  const gitlab: GitLabInputs = {
    token: input('gitlab-token'),
    apiUrl: parseGitLabApiUrl(input),
    protectedOnCreate: parseBoolean(input, 'protected', true),
    hiddenOnCreate: parseBoolean(input, 'hidden', false),
  };
  return { ...github, store, gitlab };
}

/** GitLab's REST API: `gitlab-api-url` (the job's CI_API_V4_URL), else `<gitlab-url>/api/v4`. */
export function parseGitLabApiUrl(input: Inputs): string {
  const server = parseBaseUrl('gitlab-url', input('gitlab-url') || 'https://gitlab.com');
  return parseBaseUrl('gitlab-api-url', input('gitlab-api-url') || `${server}/api/v4`);
}

/** The token of the store the inputs name ('' when not given). */
export function storeToken(config: StoreInputs): string {
  return config.store === 'gitlab' ? (config.gitlab?.token ?? '') : config.githubToken;
}

export function parseTtl(input: Inputs, fallback: string): number {
  return parseDurationInput('ttl', input('ttl') || fallback, MIN_TTL_MS);
}

/** The targets as secret slots: one per repository (repository, environment or Dependabot secret), or one organization secret. */
export function parseSecretSlots(input: Inputs, run: Run, secretName: string): SecretSlot[] {
  if (input('store') === 'gitlab') return parseGitLabSlots(input, secretName);
  const environment = input('environment');
  const organization = input('organization');
  const secretType = parseChoice<SecretType>('secret-type', input('secret-type') || 'actions', ['actions', 'dependabot']);
  const visibility = parseChoice('org-secret-visibility', input('org-secret-visibility') || 'private', ['all', 'private', 'selected']);
  if (environment && organization) {
    throw new InputError("Inputs 'environment' and 'organization' cannot be combined: an environment secret belongs to a repository.");
  }
  if (environment && secretType === 'dependabot') {
    throw new InputError("Inputs 'environment' and 'secret-type: dependabot' cannot be combined: Dependabot secrets have no environments.");
  }
  const repositories = parseRepositories(input('repositories') || run.repository, run.repository);
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
    if (!isEnvironmentName(environment) || environment.includes(':')) {
      throw new InputError(
        "Input 'environment' must be a GitHub environment name: at most 255 characters, no control characters, and no ':' (it separates the fields of key names).",
      );
    }
    return repositories.map(({ owner, repo }) => environmentSlot(owner, repo, environment, secretName));
  }
  return repositories.map(({ owner, repo }) => repositorySlot(owner, repo, secretName, secretType));
}

const GITLAB_PATH = /^[A-Za-z0-9_][A-Za-z0-9_.-]*(\/[A-Za-z0-9_][A-Za-z0-9_.-]*)*$/;
const GITLAB_VARIABLE = /^[A-Z_][A-Z0-9_]{0,254}$/;

/** GitLab targets: a variable of each project (`projects`, in `environment`'s scope, default `*`), or of one `group`. */
function parseGitLabSlots(input: Inputs, secretName: string): SecretSlot[] {
  if (!GITLAB_VARIABLE.test(secretName)) {
    throw new InputError(
      `The variable name '${secretName}' is not one this store writes: use upper-case letters, digits and underscores (GitLab variable keys are case-sensitive).`,
    );
  }
  const host = new URL(parseBaseUrl('gitlab-url', input('gitlab-url') || 'https://gitlab.com')).hostname;
  const group = input('group');
  const projects = input('projects');
  const environment = input('environment');
  if (group && projects)
    throw new InputError("Inputs 'group' and 'projects' cannot be combined: a run writes project variables or one group variable.");
  if (group && environment) throw new InputError("Inputs 'group' and 'environment' cannot be combined: a group variable's scope is '*'.");
  if (environment && (!isEnvironmentName(environment) || environment.includes(':'))) {
    throw new InputError(
      "Input 'environment' must be a GitLab environment scope: at most 255 characters, no control characters, and no ':'.",
    );
  }
  if (group) {
    if (!GITLAB_PATH.test(group)) throw new InputError(`Input 'group' is not a GitLab group path (got '${group}').`);
    return [gitLabGroupSlot(host, group, secretName)];
  }
  const paths = [...new Set(listEntries(projects))];
  if (paths.length === 0) throw new InputError("Input 'projects' names no GitLab project: give group/project paths.");
  const wrong = paths.find((path) => !GITLAB_PATH.test(path) || (!path.includes('/') && !/^\d+$/.test(path)));
  if (wrong !== undefined) throw new InputError(`Input 'projects' has an entry that is not a GitLab project path or id (got '${wrong}').`);
  return paths.map((path) => gitLabProjectSlot(host, path, environment || '*', secretName));
}

function parseChoice<T extends string>(name: string, value: string, choices: readonly T[]): T {
  if ((choices as readonly string[]).includes(value)) return value as T;
  throw new InputError(`Input '${name}' must be one of ${choices.join(', ')} (got '${value}').`);
}

// The forms core.getBooleanInput accepts (YAML 1.2 core schema).
const TRUE = ['true', 'True', 'TRUE'];
const FALSE = ['false', 'False', 'FALSE'];

export function parseBoolean(input: Inputs, name: string, fallback: boolean): boolean {
  const value = input(name);
  if (value === '') return fallback;
  if (TRUE.includes(value)) return true;
  if (FALSE.includes(value)) return false;
  throw new InputError(`Input '${name}' must be true or false (got '${value}').`);
}

export function parseDurationInput(name: string, value: string, minMs: number): number {
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
// GitLab's variable keys are case-sensitive: taken as given (parseGitLabSlots checks them).
function parseSecretName(value: string, gitlab: boolean): string {
  if (gitlab) return value;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(value) || /^GITHUB_/i.test(value)) {
    throw new InputError(
      `Input 'secret-name' is not a valid GitHub secret name (got '${value}'): use letters, digits and underscores, ` +
        'not starting with a digit or GITHUB_.',
    );
  }
  return value.toUpperCase();
}

function parseKeyNamePrefix(value: string): string {
  if (!NAME_PREFIX.test(value)) {
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
  for (const entry of listEntries(value)) {
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

/** A list input's entries, separated by newlines or commas. */
function listEntries(value: string): string[] {
  return value
    .split(/[\n,]/)
    .map((part) => part.trim())
    .filter(Boolean);
}

export function parseRun(env: NodeJS.ProcessEnv): Run {
  if (!env['GITHUB_RUN_ID']) {
    const other = gitLabRun(env) ?? commandLineRun(env);
    if (other) return other;
  }
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

/** A GitLab CI job: the pipeline names the run, the job its attempt (a retried job is a new job). */
function gitLabRun(env: NodeJS.ProcessEnv): Run | undefined {
  const runId = env['CI_PIPELINE_ID'] ?? '';
  const runAttempt = env['CI_JOB_ID'] ?? '';
  if (env['GITLAB_CI'] !== 'true' || !/^\d+$/.test(runId) || !/^\d+$/.test(runAttempt)) return undefined;
  return {
    repository: (env['CI_PROJECT_PATH'] ?? '').toLowerCase(),
    runId,
    runAttempt,
    serverUrl: (env['CI_SERVER_URL'] || 'https://gitlab.com').replace(/\/+$/, ''),
    job: env['CI_JOB_NAME'] ?? '',
    url: env['CI_PIPELINE_URL'] || `pipeline ${runId}`,
  };
}

/** A run outside CI, named by the command line (KUBIYA_RUN_ID: the time in seconds; attempt 0). */
function commandLineRun(env: NodeJS.ProcessEnv): Run | undefined {
  const runId = env['KUBIYA_RUN_ID'] ?? '';
  if (!/^\d+$/.test(runId)) return undefined;
  return { repository: '', runId, runAttempt: '0', serverUrl: '', job: '', url: 'a command line run' };
}
