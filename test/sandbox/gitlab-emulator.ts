// Emulator of the part of GitLab's REST API v4 the GitLab store uses: projects and (nested) groups,
// their CI/CD variables by environment scope, access tokens with a role per project or group, an
// expiry and scopes, pipeline schedules, and a configurable rate limit. Routes and bodies are those of
// GitLab's OpenAPI description (see gitlab-openapi.ts and its test).
import { HttpEmulator } from './http-emulator.ts';
import type { EmulatedRequest, EmulatedResponse, HttpEmulatorOptions } from './http-emulator.ts';
import { VariableSet, notFound, variableJson } from './gitlab-variables.ts';
import type { StoredVariable } from './gitlab-variables.ts';

export type { StoredVariable, VariableType } from './gitlab-variables.ts';
export { MASKABLE_VALUE } from './gitlab-variables.ts';

/** GitLab's access levels: Guest 10, Reporter 20, Developer 30, Maintainer 40, Owner 50. */
export type GitLabRole = 'guest' | 'reporter' | 'developer' | 'maintainer' | 'owner';
const LEVEL: Record<GitLabRole, number> = { guest: 10, reporter: 20, developer: 30, maintainer: 40, owner: 50 };

export interface GitLabTokenGrant {
  kind?: 'personal' | 'project' | 'group';
  name?: string;
  /** Default ['api']. */
  scopes?: string[];
  /** `YYYY-MM-DD`; the token stops working on that day (UTC). Default: a year from now. */
  expiresAt?: string;
  revoked?: boolean;
  /** Role per group or project full path; a group's role covers its subgroups and projects. */
  roles: Record<string, GitLabRole>;
}

export interface GitLabRateLimit {
  /** Requests allowed per period, counted over all tokens. */
  requests: number;
  periodMs: number;
}

export interface GitLabEmulatorOptions extends HttpEmulatorOptions {
  rateLimit?: GitLabRateLimit;
}

interface Namespace {
  id: number;
  fullPath: string;
  name: string;
  parent: Namespace | undefined;
  variables: VariableSet;
}

export interface PipelineScheduleSeed {
  id?: number;
  description?: string;
  ref?: string;
  cron?: string;
  active?: boolean;
  nextRunAt?: string | null;
  lastPipeline?: { id: number; status: string } | null;
}

interface Token extends Required<Omit<GitLabTokenGrant, 'roles'>> {
  id: number;
  roles: Map<string, GitLabRole>;
}

/** Where a variable lives: `{ project: 'acme/web' }` or `{ group: 'acme/platform' }`. */
export type VariableTarget = { project: string; group?: never } | { group: string; project?: never };

/** The routes the emulator serves, as GitLab's OpenAPI writes them. */
export const GITLAB_EMULATOR_ROUTES: readonly { method: string; path: string }[] = [
  { method: 'GET', path: '/api/v4/personal_access_tokens/self' },
  { method: 'GET', path: '/api/v4/projects/{id}' },
  { method: 'GET', path: '/api/v4/groups/{id}' },
  { method: 'GET', path: '/api/v4/projects/{id}/variables' },
  { method: 'POST', path: '/api/v4/projects/{id}/variables' },
  { method: 'GET', path: '/api/v4/projects/{id}/variables/{key}' },
  { method: 'PUT', path: '/api/v4/projects/{id}/variables/{key}' },
  { method: 'DELETE', path: '/api/v4/projects/{id}/variables/{key}' },
  { method: 'GET', path: '/api/v4/groups/{id}/variables' },
  { method: 'POST', path: '/api/v4/groups/{id}/variables' },
  { method: 'GET', path: '/api/v4/groups/{id}/variables/{key}' },
  { method: 'PUT', path: '/api/v4/groups/{id}/variables/{key}' },
  { method: 'DELETE', path: '/api/v4/groups/{id}/variables/{key}' },
  { method: 'GET', path: '/api/v4/projects/{id}/pipeline_schedules/{pipeline_schedule_id}' },
];

const unauthorized: EmulatedResponse = { status: 401, body: { message: '401 Unauthorized' } };
const forbidden: EmulatedResponse = { status: 403, body: { message: '403 Forbidden' } };
const insufficientScope: EmulatedResponse = {
  status: 403,
  body: {
    error: 'insufficient_scope',
    error_description: 'The request requires higher privileges than provided by the access token.',
    scope: 'api',
  },
};

const today = (): string => new Date().toISOString().slice(0, 10);
const inAYear = (): string => new Date(Date.now() + 365 * 86_400_000).toISOString().slice(0, 10);

function decodeSegments(rawPath: string): string[] | undefined {
  const segments = rawPath.split('/').slice(1);
  if (segments[0] !== 'api' || segments[1] !== 'v4') return undefined;
  try {
    return segments.slice(2).map((segment) => decodeURIComponent(segment));
  } catch {
    return undefined;
  }
}

export class GitLabEmulator extends HttpEmulator {
  readonly options: { rateLimit: GitLabRateLimit | undefined };
  rateLimitHits = 0;
  readonly #groups = new Map<string, Namespace>();
  readonly #projects = new Map<string, Namespace>();
  readonly #schedules = new Map<string, Required<PipelineScheduleSeed> & { createdAt: string }>();
  readonly #tokens = new Map<string, Token>();
  #nextId = 1_000;
  #window = { start: Date.now(), used: 0 };

  constructor(options: GitLabEmulatorOptions = {}) {
    super(options);
    this.options = { rateLimit: options.rateLimit };
  }

  // ---- seeding ----------------------------------------------------------------------------

  /** A group and, when missing, its parent groups (`acme/platform/tools`). */
  addGroup(fullPath: string, options: { id?: number } = {}): { id: number; fullPath: string } {
    const existing = this.#groups.get(fullPath.toLowerCase());
    if (existing) return { id: existing.id, fullPath: existing.fullPath };
    const cut = fullPath.lastIndexOf('/');
    const parent = cut < 0 ? undefined : this.#groups.get(this.addGroup(fullPath.slice(0, cut)).fullPath.toLowerCase());
    const group = { id: options.id ?? this.#nextId++, fullPath, name: fullPath.slice(cut + 1), parent, variables: new VariableSet() };
    this.#groups.set(fullPath.toLowerCase(), group);
    return { id: group.id, fullPath };
  }

  /** A project under its namespace groups (created when missing). */
  addProject(pathWithNamespace: string, options: { id?: number } = {}): { id: number; pathWithNamespace: string } {
    const cut = pathWithNamespace.lastIndexOf('/');
    if (cut < 0) throw new Error(`addProject: expected group/project, got ${pathWithNamespace}`);
    const parent = this.#groups.get(this.addGroup(pathWithNamespace.slice(0, cut)).fullPath.toLowerCase());
    const id = options.id ?? this.#nextId++;
    const name = pathWithNamespace.slice(cut + 1);
    this.#projects.set(pathWithNamespace.toLowerCase(), { id, fullPath: pathWithNamespace, name, parent, variables: new VariableSet() });
    return { id, pathWithNamespace };
  }

  addToken(token: string, grant: GitLabTokenGrant): { id: number } {
    const id = this.#nextId++;
    this.#tokens.set(token, {
      id,
      kind: grant.kind ?? 'personal',
      name: grant.name ?? `token-${id}`,
      scopes: grant.scopes ?? ['api'],
      expiresAt: grant.expiresAt ?? inAYear(),
      revoked: grant.revoked ?? false,
      roles: new Map(Object.entries(grant.roles).map(([path, role]) => [path.toLowerCase(), role])),
    });
    return { id };
  }

  revokeToken(token: string): void {
    const found = this.#tokens.get(token);
    if (found) found.revoked = true;
  }

  /** A variable that already exists (no masking check: GitLab may hold values set before a rule changed). */
  seedVariable(target: VariableTarget, variable: Partial<StoredVariable> & { key: string; value: string }): void {
    this.#target(target).variables.variables.push({
      variable_type: 'env_var',
      protected: false,
      masked: false,
      hidden: false,
      raw: false,
      environment_scope: '*',
      description: null,
      updatedAt: new Date().toISOString(),
      ...variable,
    });
  }

  addPipelineSchedule(project: string, seed: PipelineScheduleSeed = {}): { id: number } {
    const id = seed.id ?? this.#nextId++;
    this.#target({ project });
    this.#schedules.set(`${project.toLowerCase()}#${id}`, {
      id,
      description: seed.description ?? 'Rotate the Kubiya API key',
      ref: seed.ref ?? 'main',
      cron: seed.cron ?? '0 4 * * 1',
      active: seed.active ?? true,
      nextRunAt: seed.nextRunAt === undefined ? new Date(Date.now() + 86_400_000).toISOString() : seed.nextRunAt,
      lastPipeline: seed.lastPipeline === undefined ? { id: this.#nextId++, status: 'success' } : seed.lastPipeline,
      createdAt: new Date().toISOString(),
    });
    return { id };
  }

  // ---- introspection ----------------------------------------------------------------------

  /** What the variable holds (a copy), whatever its visibility through the API; undefined when absent. */
  variable(target: VariableTarget, key: string, scope = '*'): StoredVariable | undefined {
    const found = this.#target(target).variables.get(key, scope);
    return found && { ...found };
  }

  variables(target: VariableTarget): StoredVariable[] {
    return this.#target(target).variables.variables.map((v) => ({ ...v }));
  }

  /** Start a new rate-limit period now (the hit counter is kept). */
  resetRateLimit(): void {
    this.#window = { start: Date.now(), used: 0 };
  }

  #target(target: VariableTarget): Namespace {
    const found =
      target.project !== undefined ? this.#projects.get(target.project.toLowerCase()) : this.#groups.get(target.group.toLowerCase());
    if (!found) throw new Error(`unknown ${target.project !== undefined ? `project ${target.project}` : `group ${target.group}`}`);
    return found;
  }

  // ---- HTTP -------------------------------------------------------------------------------

  protected override handle(req: EmulatedRequest): EmulatedResponse | Promise<EmulatedResponse> {
    const limited = this.#rateLimit();
    if (limited) return limited;
    const raw = req.headers['private-token'] ?? /^Bearer\s+(\S+)$/i.exec(req.headers['authorization'] ?? '')?.[1];
    const token = raw === undefined ? undefined : this.#tokens.get(raw);
    if (!token || token.revoked || token.expiresAt <= today()) return unauthorized;
    const write = req.method !== 'GET';
    if (!token.scopes.includes('api') && !(token.scopes.includes('read_api') && !write)) return insufficientScope;
    const segments = decodeSegments(req.path);
    if (!segments) return { status: 404, body: { error: '404 Not Found' } };
    return this.#route(req, token, segments);
  }

  #rateLimit(): EmulatedResponse | undefined {
    const limit = this.options.rateLimit;
    if (!limit) return undefined;
    const now = Date.now();
    if (now >= this.#window.start + limit.periodMs) this.#window = { start: now, used: 0 };
    this.#window.used += 1;
    if (this.#window.used <= limit.requests) return undefined;
    this.rateLimitHits += 1;
    const resetAt = this.#window.start + limit.periodMs;
    return {
      status: 429,
      headers: {
        'retry-after': String(Math.max(1, Math.ceil((resetAt - now) / 1000))),
        'ratelimit-reset': String(Math.ceil(resetAt / 1000)),
        'ratelimit-limit': String(limit.requests),
        'ratelimit-observed': String(this.#window.used),
        'ratelimit-remaining': '0',
      },
      body: 'Retry later\n',
      fault: 'rate-limit',
    };
  }

  #route(req: EmulatedRequest, token: Token, segments: string[]): EmulatedResponse {
    const [root, id, area, key, extra] = segments;
    if (root === 'personal_access_tokens' && id === 'self' && area === undefined && req.method === 'GET') return this.#self(token);
    if ((root !== 'projects' && root !== 'groups') || id === undefined || extra !== undefined)
      return { status: 404, body: { error: '404 Not Found' } };
    const what = root === 'projects' ? 'Project' : 'Group';
    const namespace = this.#lookup(root, id);
    if (!namespace || this.#level(token, namespace) === 0) return notFound(what);
    if (area === undefined) return req.method === 'GET' ? { status: 200, body: this.#json(root, namespace) } : notFound(what);
    if (area === 'variables') {
      if (this.#level(token, namespace) < LEVEL.maintainer) return forbidden;
      return this.#variables(req, namespace, key, root === 'projects' ? 'Variable' : 'Group Variable');
    }
    if (area === 'pipeline_schedules' && root === 'projects' && key !== undefined && req.method === 'GET') {
      if (this.#level(token, namespace) < LEVEL.reporter) return forbidden;
      return this.#schedule(namespace, key);
    }
    return { status: 404, body: { error: '404 Not Found' } };
  }

  #variables(req: EmulatedRequest, namespace: Namespace, key: string | undefined, what: string): EmulatedResponse {
    const set = namespace.variables;
    let body: Record<string, unknown> = {};
    try {
      const parsed = req.json();
      if (parsed !== undefined) body = parsed as Record<string, unknown>;
    } catch {
      return { status: 400, body: { error: 'The request body is not valid JSON' } };
    }
    if (key === undefined) {
      if (req.method === 'GET') return { status: 200, body: set.variables.map(variableJson) };
      if (req.method !== 'POST') return notFound(what);
      const created = set.create(body);
      return 'status' in created ? created : { status: 201, body: variableJson(created) };
    }
    const filter = body['filter'] as { environment_scope?: unknown } | undefined;
    const scope =
      req.query.get('filter[environment_scope]') ?? (typeof filter?.environment_scope === 'string' ? filter.environment_scope : undefined);
    const found = set.find(key, scope, what);
    if ('status' in found) return found;
    if (req.method === 'GET') return { status: 200, body: variableJson(found) };
    if (req.method === 'DELETE') {
      set.delete(found);
      return { status: 204 };
    }
    if (req.method !== 'PUT') return notFound(what);
    const updated = set.update(found, body);
    return 'status' in updated ? updated : { status: 200, body: variableJson(updated) };
  }

  #schedule(project: Namespace, rawId: string): EmulatedResponse {
    const schedule = this.#schedules.get(`${project.fullPath.toLowerCase()}#${rawId}`);
    if (!schedule) return notFound('Pipeline Schedule');
    const web = `${this.url}/${project.fullPath}`;
    const last = schedule.lastPipeline;
    return {
      status: 200,
      body: {
        id: schedule.id,
        description: schedule.description,
        ref: schedule.ref,
        cron: schedule.cron,
        cron_timezone: 'UTC',
        next_run_at: schedule.nextRunAt,
        active: schedule.active,
        created_at: schedule.createdAt,
        updated_at: schedule.createdAt,
        last_pipeline: last && {
          id: last.id,
          project_id: project.id,
          status: last.status,
          ref: schedule.ref,
          source: 'schedule',
          web_url: `${web}/-/pipelines/${last.id}`,
        },
      },
    };
  }

  #self(token: Token): EmulatedResponse {
    const { id, name, scopes, expiresAt, revoked } = token;
    return {
      status: 200,
      body: {
        id,
        name,
        revoked,
        created_at: new Date(0).toISOString(),
        description: null,
        scopes,
        user_id: 1,
        last_used_at: null,
        active: !revoked,
        expires_at: expiresAt,
      },
    };
  }

  #lookup(root: 'projects' | 'groups', id: string): Namespace | undefined {
    const all = root === 'projects' ? this.#projects : this.#groups;
    if (/^\d+$/.test(id)) return [...all.values()].find((n) => n.id === Number(id));
    return all.get(id.toLowerCase());
  }

  /** The highest role the token has on the namespace or any of its ancestors; 0 = it cannot see it. */
  #level(token: Token, namespace: Namespace): number {
    let best = 0;
    for (let n: Namespace | undefined = namespace; n; n = n.parent) {
      const role = token.roles.get(n.fullPath.toLowerCase());
      if (role) best = Math.max(best, LEVEL[role]);
    }
    return best;
  }

  #json(root: 'projects' | 'groups', n: Namespace): Record<string, unknown> {
    const web_url = `${this.url}/${root === 'groups' ? 'groups/' : ''}${n.fullPath}`;
    if (root === 'groups') return { id: n.id, name: n.name, path: n.name, full_path: n.fullPath, parent_id: n.parent?.id ?? null, web_url };
    const namespace = n.parent && {
      id: n.parent.id,
      name: n.parent.name,
      path: n.parent.name,
      kind: 'group',
      full_path: n.parent.fullPath,
    };
    return { id: n.id, name: n.name, path: n.name, path_with_namespace: n.fullPath, namespace, web_url };
  }
}

export async function startGitLabEmulator(options: GitLabEmulatorOptions = {}): Promise<GitLabEmulator> {
  return new GitLabEmulator(options).listen();
}
