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

export type { RateLimitOptions, SecondaryRateLimitOptions, PrimaryRateLimitOptions } from './github-rate-limit.ts';
export type { OrgSecretVisibility, StoredSecret } from './github-secrets.ts';

export type SecretType = 'actions' | 'dependabot';
export type PermissionLevel = 'write' | 'read' | 'none';
export type GrantPermission = 'secrets' | 'environments' | 'dependabotSecrets' | 'orgSecrets';

export interface TokenGrant {
  /** 'github-token' models the workflow's default GITHUB_TOKEN: it never reaches secrets endpoints. */
  kind: 'pat' | 'app' | 'github-token';
  /** Repositories the token can see; default '*'. */
  repos?: '*' | string[];
  /** Organizations the token can see; default '*'. */
  orgs?: '*' | string[];
  /** Permissions default to 'write' (except for kind 'github-token', which has none of them). */
  secrets?: PermissionLevel;
  environments?: PermissionLevel;
  dependabotSecrets?: PermissionLevel;
  orgSecrets?: PermissionLevel;
}

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
  environments: Map<string, { id: number; name: string; scope: SecretScope }>;
  actions: SecretScope;
  dependabot: SecretScope;
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
const LEVEL_RANK: Record<PermissionLevel, number> = { none: 0, read: 1, write: 2 };

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
  readonly #tokens = new Map<string, Required<TokenGrant>>();
  #nextRepoId = 100_001;
  #nextOrgId = 9_001;
  #nextEnvironmentId = 500_001;

  constructor(options: GitHubEmulatorOptions = {}) {
    super(options);
    this.options = { rateLimit: options.rateLimit };
  }

  // ---- seeding --------------------------------------------------------------------------

  addRepo(fullName: string, options: { id?: number; environments?: string[] } = {}): { id: number; fullName: string } {
    const [owner, name, extra] = fullName.split('/');
    if (!owner || !name || extra !== undefined) throw new Error(`addRepo: expected owner/repo, got ${fullName}`);
    if (this.#repos.has(fullName.toLowerCase())) throw new Error(`addRepo: ${fullName} already exists`);
    const id = options.id ?? this.#nextRepoId++;
    this.#repos.set(fullName.toLowerCase(), {
      id,
      owner,
      name,
      fullName,
      environments: new Map(),
      actions: new SecretScope(`${fullName} actions`),
      dependabot: new SecretScope(`${fullName} dependabot`),
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
    const none = grant.kind === 'github-token';
    this.#tokens.set(token, {
      kind: grant.kind,
      repos: grant.repos ?? '*',
      orgs: grant.orgs ?? '*',
      secrets: none ? 'none' : (grant.secrets ?? 'write'),
      environments: none ? 'none' : (grant.environments ?? 'write'),
      dependabotSecrets: none ? 'none' : (grant.dependabotSecrets ?? 'write'),
      orgSecrets: none ? 'none' : (grant.orgSecrets ?? 'write'),
    });
  }

  removeToken(token: string): void {
    this.#tokens.delete(token);
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
    const decision = this.options.rateLimit
      ? this.#limiter.admit(this.options.rateLimit, req.method, this.inFlight, grant.kind === 'pat' ? 'user ID 1' : 'installation ID 1')
      : { headers: {} };
    if (decision.rejection) return decision.rejection;
    const response = this.#route(req, grant);
    return { ...response, headers: { ...decision.headers, ...response.headers } };
  }

  #authenticate(req: EmulatedRequest): Required<TokenGrant> | undefined {
    const token = /^(?:token|bearer)\s+(\S+)$/i.exec(req.headers['authorization'] ?? '')?.[1];
    return token === undefined ? undefined : this.#tokens.get(token);
  }

  #route(req: EmulatedRequest, grant: Required<TokenGrant>): EmulatedResponse {
    const segments = pathSegments(req.path);
    if (!segments) return notFound();
    const [root, first, second] = segments;
    if (root === 'repos' && first !== undefined && second !== undefined) {
      return this.#repoRoute(req, grant, `${first}/${second}`, segments.slice(3));
    }
    if (root === 'orgs' && first !== undefined) return this.#orgRoute(req, grant, first, segments.slice(2));
    return notFound();
  }

  #repoRoute(req: EmulatedRequest, grant: Required<TokenGrant>, fullName: string, rest: string[]): EmulatedResponse {
    const repo = this.#repo(fullName);
    if (!repo || !this.#sees(grant.repos, repo.fullName)) return notFound();
    const prefix = `${this.url}/repos/${repo.owner}/${repo.name}`;
    const [area, second, third] = rest;
    if (area === undefined) {
      if (req.method !== 'GET') return notFound();
      return {
        status: 200,
        body: { id: repo.id, name: repo.name, full_name: repo.fullName, owner: { login: repo.owner }, private: true },
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

  #orgRoute(req: EmulatedRequest, grant: Required<TokenGrant>, login: string, rest: string[]): EmulatedResponse {
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

  #secrets(req: EmulatedRequest, grant: Required<TokenGrant>, target: SecretsTarget, rest: string[]): EmulatedResponse {
    const docs = `https://docs.github.com/rest/${target.type}/secrets`;
    const needed = req.method === 'GET' ? 'read' : 'write';
    if (LEVEL_RANK[grant[target.permission]] < LEVEL_RANK[needed]) {
      const by = grant.kind === 'pat' ? 'personal access token' : 'integration';
      return githubError(403, `Resource not accessible by ${by}`, docs);
    }
    return secretsEndpoint(req, target, rest, {
      docs,
      repoById: (id) => this.repoById(id),
    });
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
