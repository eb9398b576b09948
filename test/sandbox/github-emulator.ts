// Emulator of GitHub's REST secrets API (repository, environment, Dependabot and organization
// secrets), with token grants, sealed-box decryption and an optional rate-limit model.
import sodium from 'libsodium-wrappers';
import { HttpEmulator } from './http-emulator.ts';
import type { EmulatedRequest, EmulatedResponse, HttpEmulatorOptions } from './http-emulator.ts';
import { GitHubRateLimiter } from './github-rate-limit.ts';
import type { RateLimitOptions } from './github-rate-limit.ts';
import { SecretScope } from './github-secrets.ts';
import type { OrgSecretVisibility, StoredSecret } from './github-secrets.ts';
import { githubError, secretsEndpoint } from './github-secrets-endpoints.ts';
import { matchRoute } from './github-routes.ts';
import type { RouteMatch } from './github-routes.ts';
import { allows, notAccessibleMessage, resolveGrant } from './github-tokens.ts';
import type { GrantPermission, ResolvedGrant, TokenGrant } from './github-tokens.ts';
import { RepoWorkflows, workflowsEndpoint } from './github-workflows.ts';
import type { EmulatedWorkflow, EmulatedWorkflowRun, WorkflowRunSeed, WorkflowSeed } from './github-workflows.ts';

export type { RateLimitOptions, SecondaryRateLimitOptions, PrimaryRateLimitOptions } from './github-rate-limit.ts';
export type { OrgSecretVisibility, StoredSecret } from './github-secrets.ts';

export type SecretType = 'actions' | 'dependabot';
export type { GrantPermission, PermissionLevel, TokenGrant } from './github-tokens.ts';
export type { EmulatedWorkflow, EmulatedWorkflowRun, WorkflowRunSeed, WorkflowSeed, WorkflowState } from './github-workflows.ts';

/** Where a secret lives: `{repo}`, `{repo, environment}`, `{org}`; `type` defaults to 'actions'. */
export interface SecretLocation {
  repo?: string;
  environment?: string;
  org?: string;
  type?: SecretType;
}

export interface GitHubEmulatorOptions extends HttpEmulatorOptions {
  rateLimit?: RateLimitOptions;
}

export interface GitHubRepo {
  id: number;
  owner: string;
  name: string;
  fullName: string;
  /** The keep-alive of a schedule concerns public repositories only; default true. */
  private: boolean;
  environments: Map<string, { id: number; name: string; scope: SecretScope }>;
  actions: SecretScope;
  dependabot: SecretScope;
  workflows: RepoWorkflows;
}

export interface GitHubOrg {
  id: number;
  login: string;
  actions: SecretScope;
  dependabot: SecretScope;
}

/** What the secrets endpoints of one scope need to know about it. */
export interface SecretsTarget {
  scope: SecretScope;
  permission: GrantPermission;
  type: SecretType;
  org?: GitHubOrg;
  /** Base URL + path of this scope's `.../secrets` collection, for `selected_repositories_url`. */
  collectionUrl: string;
}

const notFound = (docs?: string): EmulatedResponse => githubError(404, 'Not Found', docs);

/** Path segments after an optional GHES `/api/v3` prefix, each URL-decoded exactly once. */
function pathSegments(rawPath: string): string[] | undefined {
  let segments = rawPath.split('/').slice(1);
  if (segments[0] === 'api' && segments[1] === 'v3') segments = segments.slice(2);
  try {
    return segments.map((segment) => decodeURIComponent(segment));
  } catch {
    return undefined;
  }
}

export class GitHubEmulator extends HttpEmulator {
  readonly options: { rateLimit: RateLimitOptions | undefined };
  readonly #limiter = new GitHubRateLimiter();
  readonly #repos = new Map<string, GitHubRepo>();
  readonly #orgs = new Map<string, GitHubOrg>();
  readonly #tokens = new Map<string, ResolvedGrant>();
  #nextRepoId = 100_001;
  #nextOrgId = 9_001;
  #nextEnvironmentId = 500_001;

  constructor(options: GitHubEmulatorOptions = {}) {
    super(options);
    this.options = { rateLimit: options.rateLimit };
  }

  // ---- seeding --------------------------------------------------------------------------

  addRepo(fullName: string, options: { id?: number; environments?: string[]; private?: boolean } = {}): { id: number; fullName: string } {
    const [owner, name, extra] = fullName.split('/');
    if (!owner || !name || extra !== undefined) throw new Error(`addRepo: expected owner/repo, got ${fullName}`);
    if (this.#repos.has(fullName.toLowerCase())) throw new Error(`addRepo: ${fullName} already exists`);
    const id = options.id ?? this.#nextRepoId++;
    this.#repos.set(fullName.toLowerCase(), {
      id,
      owner,
      name,
      fullName,
      private: options.private ?? true,
      environments: new Map(),
      actions: new SecretScope(`${fullName} actions`),
      dependabot: new SecretScope(`${fullName} dependabot`),
      workflows: new RepoWorkflows(fullName),
    });
    for (const environment of options.environments ?? []) this.addEnvironment(fullName, environment);
    return { id, fullName };
  }

  addEnvironment(repoFullName: string, environment: string): void {
    const repo = this.#repo(repoFullName);
    if (!repo) throw new Error(`addEnvironment: unknown repository ${repoFullName}`);
    repo.environments.set(environment.toLowerCase(), {
      id: this.#nextEnvironmentId++,
      name: environment,
      scope: new SecretScope(`${repoFullName}@${environment}`),
    });
  }

  addOrg(login: string, options: { id?: number } = {}): { id: number; login: string } {
    if (this.#orgs.has(login.toLowerCase())) throw new Error(`addOrg: ${login} already exists`);
    const id = options.id ?? this.#nextOrgId++;
    this.#orgs.set(login.toLowerCase(), {
      id,
      login,
      actions: new SecretScope(`org ${login} actions`),
      dependabot: new SecretScope(`org ${login} dependabot`),
    });
    return { id, login };
  }

  addToken(token: string, grant: TokenGrant): void {
    this.#tokens.set(token, resolveGrant(grant));
  }

  removeToken(token: string): void {
    this.#tokens.delete(token);
  }

  /** A workflow file of the repository (`.github/workflows/FILE`); returns its live record. */
  addWorkflow(repoFullName: string, file: string, seed?: WorkflowSeed): EmulatedWorkflow {
    return this.#existingRepo(repoFullName, 'addWorkflow').workflows.add(file, seed);
  }

  /** A run of a workflow (by file name or id); the newest run is the one `…/runs?per_page=1` answers. */
  addWorkflowRun(repoFullName: string, workflowId: string | number, seed?: WorkflowRunSeed): EmulatedWorkflowRun {
    return this.#existingRepo(repoFullName, 'addWorkflowRun').workflows.addRun(workflowId, seed);
  }

  /** The live record of a workflow (by file name or id): its state, runs and `enableCalls`. */
  workflow(repoFullName: string, workflowId: string | number): EmulatedWorkflow | undefined {
    return this.#repo(repoFullName)?.workflows.find(String(workflowId));
  }

  /** A secret that already exists, sealed to the scope's current key. */
  seedSecret(location: SecretLocation, name: string, plaintext: string): void {
    const scope = this.scope(location);
    const visibility = scope.get(name)?.visibility ?? 'private';
    scope.store(name, scope.seal(plaintext), plaintext, location.org === undefined ? undefined : { visibility });
  }

  /** An existing organization secret with its visibility (and selected repositories). */
  setOrgSecret(
    location: { org: string; type?: SecretType },
    name: string,
    settings: { value?: string; visibility: OrgSecretVisibility; selectedRepositoryIds?: number[] },
  ): void {
    const scope = this.scope(location);
    const value = settings.value ?? 'seeded-value';
    scope.store(name, scope.seal(value), value, {
      visibility: settings.visibility,
      selectedRepositoryIds: settings.selectedRepositoryIds ?? [],
    });
  }

  /** New key pair and key_id for a scope, as if GitHub rotated it between GET and PUT. */
  rotatePublicKey(location: SecretLocation): void {
    this.scope(location).rotateKey();
  }

  // ---- introspection --------------------------------------------------------------------

  /** The decrypted plaintext, or undefined when the secret does not exist. */
  secretValue(location: SecretLocation, name: string): string | undefined {
    return this.scope(location).get(name)?.value;
  }

  secretMeta(location: SecretLocation, name: string): StoredSecret | undefined {
    const secret = this.scope(location).get(name);
    return secret && { ...secret, selectedRepositoryIds: secret.selectedRepositoryIds?.slice() };
  }

  secretNames(location: SecretLocation): string[] {
    return [...this.scope(location).secrets.keys()];
  }

  publicKey(location: SecretLocation): { key_id: string; key: string } {
    return this.scope(location).publicKey();
  }

  /** Secondary-rate-limit refusals so far. */
  get rateLimitHits(): number {
    return this.#limiter.secondaryHits;
  }

  get primaryRateLimitHits(): number {
    return this.#limiter.primaryHits;
  }

  /** Forget rate-limit history (quota used, recent writes); hit counters are kept. */
  resetRateLimits(): void {
    this.#limiter.reset();
  }

  repoByName(fullName: string): GitHubRepo | undefined {
    return this.#repo(fullName);
  }

  repoById(id: number): GitHubRepo | undefined {
    return [...this.#repos.values()].find((repo) => repo.id === id);
  }

  /** Throws when the location does not exist: a test setup mistake. */
  scope(location: SecretLocation): SecretScope {
    const type = location.type ?? 'actions';
    if (location.org !== undefined) {
      const org = this.#orgs.get(location.org.toLowerCase());
      if (!org) throw new Error(`unknown organization ${location.org}`);
      return org[type];
    }
    if (location.repo === undefined) throw new Error('a secret location needs repo or org');
    const repo = this.#repo(location.repo);
    if (!repo) throw new Error(`unknown repository ${location.repo}`);
    if (location.environment === undefined) return repo[type];
    if (type !== 'actions') throw new Error('environments only hold actions secrets');
    const environment = repo.environments.get(location.environment.toLowerCase());
    if (!environment) throw new Error(`unknown environment ${location.environment} in ${location.repo}`);
    return environment.scope;
  }

  // ---- HTTP -----------------------------------------------------------------------------

  protected override handle(req: EmulatedRequest): EmulatedResponse {
    const grant = this.#authenticate(req);
    if (!grant) return githubError(401, 'Bad credentials');
    const expiry: Record<string, string> = grant.expiryHeader ? { 'github-authentication-token-expiration': grant.expiryHeader } : {};
    const decision = this.options.rateLimit
      ? this.#limiter.admit(this.options.rateLimit, req.method, this.inFlight, grant.kind === 'pat' ? 'user ID 1' : 'installation ID 1')
      : { headers: {} };
    const response = decision.rejection ?? this.#route(req, grant);
    return { ...response, headers: { ...decision.headers, ...response.headers, ...expiry } };
  }

  /** The token's grant; undefined for an unknown token or one whose expiry has passed. */
  #authenticate(req: EmulatedRequest): ResolvedGrant | undefined {
    const token = /^(?:token|bearer)\s+(\S+)$/i.exec(req.headers['authorization'] ?? '')?.[1];
    const grant = token === undefined ? undefined : this.#tokens.get(token);
    return grant && (grant.expiresAtMs === undefined || grant.expiresAtMs > Date.now()) ? grant : undefined;
  }

  /** Only routes of github-routes.ts get past here: anything else is a 404, as on GitHub. */
  #route(req: EmulatedRequest, grant: ResolvedGrant): EmulatedResponse {
    const segments = pathSegments(req.path);
    const match = segments && matchRoute(req.method, segments);
    if (!segments || !match) return notFound();
    const [root, first, second] = segments;
    if (root === 'repos' && first !== undefined && second !== undefined) {
      if (match.params['workflow_id'] !== undefined || match.route.endsWith('/actions/workflows')) {
        return this.#workflowsRoute(req, grant, `${first}/${second}`, match);
      }
      return this.#repoRoute(req, grant, `${first}/${second}`, segments.slice(3));
    }
    if (root === 'orgs' && first !== undefined) return this.#orgRoute(req, grant, first, segments.slice(2));
    return notFound();
  }

  #workflowsRoute(req: EmulatedRequest, grant: ResolvedGrant, fullName: string, match: RouteMatch): EmulatedResponse {
    const repo = this.#repo(fullName);
    if (!repo || !this.#sees(grant.repos, repo.fullName)) return notFound();
    const denied = this.#denied(
      grant,
      'actions',
      req.method === 'GET' ? 'read' : 'write',
      'https://docs.github.com/rest/actions/workflows',
    );
    if (denied) return denied;
    const links = { apiBase: this.url, webBase: 'https://github.com' };
    return workflowsEndpoint(req, match.route, match.params['workflow_id'], repo, links);
  }

  #repoRoute(req: EmulatedRequest, grant: ResolvedGrant, fullName: string, rest: string[]): EmulatedResponse {
    const repo = this.#repo(fullName);
    if (!repo || !this.#sees(grant.repos, repo.fullName)) return notFound();
    const prefix = `${this.url}/repos/${repo.owner}/${repo.name}`;
    const [area, second, third] = rest;
    if (area === undefined) {
      if (req.method !== 'GET') return notFound();
      return {
        status: 200,
        body: {
          id: repo.id,
          name: repo.name,
          full_name: repo.fullName,
          owner: { login: repo.owner },
          private: repo.private,
          visibility: repo.private ? 'private' : 'public',
        },
      };
    }
    if ((area === 'actions' || area === 'dependabot') && second === 'secrets') {
      const target: SecretsTarget = {
        scope: repo[area],
        permission: area === 'actions' ? 'secrets' : 'dependabotSecrets',
        type: area,
        collectionUrl: `${prefix}/${area}/secrets`,
      };
      return this.#secrets(req, grant, target, rest.slice(2));
    }
    if (area === 'environments' && second !== undefined) {
      const environment = repo.environments.get(second.toLowerCase());
      if (!environment) return notFound('https://docs.github.com/rest/actions/secrets');
      if (third === undefined && req.method === 'GET') {
        return { status: 200, body: { id: environment.id, name: environment.name } };
      }
      if (third !== 'secrets') return notFound();
      const target: SecretsTarget = {
        scope: environment.scope,
        permission: 'environments',
        type: 'actions',
        collectionUrl: `${prefix}/environments/${encodeURIComponent(environment.name)}/secrets`,
      };
      return this.#secrets(req, grant, target, rest.slice(3));
    }
    return notFound();
  }

  #orgRoute(req: EmulatedRequest, grant: ResolvedGrant, login: string, rest: string[]): EmulatedResponse {
    const org = this.#orgs.get(login.toLowerCase());
    if (!org || !this.#sees(grant.orgs, org.login)) return notFound();
    const [area, second] = rest;
    if (area === undefined && req.method === 'GET') return { status: 200, body: { login: org.login, id: org.id } };
    if ((area !== 'actions' && area !== 'dependabot') || second !== 'secrets') return notFound();
    const target: SecretsTarget = {
      scope: org[area],
      permission: 'orgSecrets',
      type: area,
      org,
      collectionUrl: `${this.url}/orgs/${org.login}/${area}/secrets`,
    };
    return this.#secrets(req, grant, target, rest.slice(2));
  }

  #secrets(req: EmulatedRequest, grant: ResolvedGrant, target: SecretsTarget, rest: string[]): EmulatedResponse {
    const docs = `https://docs.github.com/rest/${target.type}/secrets`;
    const denied = this.#denied(grant, target.permission, req.method === 'GET' ? 'read' : 'write', docs);
    if (denied) return denied;
    return secretsEndpoint(req, target, rest, {
      docs,
      repoById: (id) => this.repoById(id),
    });
  }

  #denied(grant: ResolvedGrant, permission: GrantPermission, needed: 'read' | 'write', docs: string): EmulatedResponse | undefined {
    return allows(grant, permission, needed) ? undefined : githubError(403, notAccessibleMessage(grant), docs);
  }

  #existingRepo(fullName: string, caller: string): GitHubRepo {
    const repo = this.#repo(fullName);
    if (!repo) throw new Error(`${caller}: unknown repository ${fullName}`);
    return repo;
  }

  #sees(allowed: '*' | string[], name: string): boolean {
    return allowed === '*' || allowed.some((entry) => entry.toLowerCase() === name.toLowerCase());
  }

  #repo(fullName: string): GitHubRepo | undefined {
    return this.#repos.get(fullName.toLowerCase());
  }
}

export async function startGitHubEmulator(options: GitHubEmulatorOptions = {}): Promise<GitHubEmulator> {
  await sodium.ready;
  return new GitHubEmulator(options).listen();
}
