// SecretStore (and audit's SecretReader) over GitLab CI/CD variables: a project's variable in one environment
// scope, or a group's. The access check is a read of the variable; a variable GitLab would print (type file, or
// not masked) is refused before anything is minted; a created variable is masked, raw (never expanded as `$…`) and
// protected unless told otherwise; an update sends the value and the description only, so every other attribute the
// variable has is kept.
import {
  failedAfterUnanswered,
  writeStopped,
  type SecretReader,
  type SecretState,
  type SecretStore,
  type WriteOptions,
} from '../secret-store.ts';
import { ServiceError } from '../service-error.ts';
import type { SecretSlot } from '../slots.ts';
import type { Attempts } from '../retry.ts';
import { GitLabHttp, type GitLabHttpOptions, type GitLabResponse } from './http.ts';

/** What the access check found: whether the variable exists (a write updates it) or not yet (a write creates it). */
export interface VariableTarget {
  exists: boolean;
}

export interface GitLabStoreOptions {
  protectedOnCreate: boolean;
  hiddenOnCreate: boolean;
  /** the variable's description, written with each value */
  description: string;
}

type Where = { kind: 'project'; path: string; scope: string } | { kind: 'group'; path: string };

export class GitLabVariableStore implements SecretStore<VariableTarget>, SecretReader {
  readonly limits =
    'GitLab does not show when a variable was last written, so not-written (a newest key that never reached the variable) is not reported.';
  private readonly http: GitLabHttp;
  private readonly options: GitLabStoreOptions;

  constructor(http: GitLabHttp, options: GitLabStoreOptions) {
    this.http = http;
    this.options = options;
  }

  async prepare(slot: SecretSlot): Promise<VariableTarget> {
    const where = whereOf(slot);
    const response = await this.http.send('GET', variablePath(where, slot.secretName), { what: `reading ${describe(slot)}` });
    if (response.status === 404 && isVariableMissing(response)) return { exists: false };
    if (response.status !== 200) throw this.failure(response, slot, `reading ${describe(slot)}`);
    const variable = response.body as { variable_type?: unknown; masked?: unknown };
    const refuse = (why: string, fix: string) =>
      new ServiceError(`GitLab: ${describe(slot)} ${why}, so a key must not be written there; nothing was minted for it. ${fix}`);
    if (variable.variable_type === 'file') {
      throw refuse('is of type File (GitLab writes its value to a file)', 'Change its type to Variable and mark it Masked, or delete it.');
    }
    if (variable.masked !== true) {
      throw refuse(
        'is not masked (GitLab would print its value in job logs)',
        'Mark it Masked, or delete it so the rotation creates it masked.',
      );
    }
    return { exists: true };
  }

  async put(slot: SecretSlot, value: string, target: VariableTarget, options: WriteOptions): Promise<'created' | 'updated'> {
    this.http.protect(value);
    const what = `writing ${describe(slot)}`;
    let unanswered = false;
    // Stopped by the write deadline before any attempt: the value may be stored if an attempt (of either write) got no answer.
    const beforeEach = (attempts: Attempts) => {
      if (options.clock() > options.sendBy) throw writeStopped('GitLab', what, unanswered || attempts.unanswered);
    };
    try {
      let response = await this.write(slot, value, target.exists ? 'PUT' : 'POST', { what, beforeEach });
      unanswered = response.unanswered;
      // Created since the access check (another job, or an earlier attempt of this POST that got no answer): update it.
      const created = !target.exists && !isTaken(response);
      if (!created && !target.exists) {
        response = await this.write(slot, value, 'PUT', { what, beforeEach });
        unanswered ||= response.unanswered;
      }
      if (response.status === 200 || response.status === 201) return created ? 'created' : 'updated';
      throw isMaskRefusal(response)
        ? new ServiceError(
            `GitLab refused to mask the value of ${describe(slot)} (HTTP 400: value is invalid), so it was not written; a Kubiya ` +
              'key GitLab cannot mask must not be stored where job logs would show it',
            { status: 400 },
          )
        : this.failure(response, slot, what);
    } catch (error) {
      if (unanswered && error instanceof ServiceError && !error.outcomeUnknown) throw failedAfterUnanswered(error);
      throw error;
    }
  }

  /** One POST (create) or PUT (value and description only). */
  private write(slot: SecretSlot, value: string, method: 'POST' | 'PUT', send: { what: string; beforeEach: (attempts: Attempts) => void }) {
    const where = whereOf(slot);
    return method === 'PUT'
      ? this.http.send('PUT', variablePath(where, slot.secretName), { ...send, body: { value, description: this.options.description } })
      : this.http.send('POST', collectionPath(where), { ...send, body: this.create(where, slot.secretName, value) });
  }

  async readSecret(slot: SecretSlot): Promise<SecretState> {
    const where = whereOf(slot);
    const response = await this.http.send('GET', variablePath(where, slot.secretName), { what: `reading ${describe(slot)}` });
    if (response.status === 200) return { state: 'present' };
    if (response.status === 404) {
      const what = isVariableMissing(response) ? `variable ${slot.secretName}` : `the ${where.kind} ${where.path}`;
      return { state: 'missing', what };
    }
    throw this.failure(response, slot, `reading ${describe(slot)}`);
  }

  private create(where: Where, key: string, value: string): Record<string, unknown> {
    return {
      key,
      value,
      ...(this.options.hiddenOnCreate ? { masked_and_hidden: true } : { masked: true }),
      protected: this.options.protectedOnCreate,
      raw: true,
      variable_type: 'env_var',
      ...(where.kind === 'project' && { environment_scope: where.scope }),
      description: this.options.description,
    };
  }

  /** 401/403/404 say what to fix; anything else its status and GitLab's message. */
  private failure(response: GitLabResponse, slot: SecretSlot, what: string): ServiceError {
    const where = whereOf(slot);
    const status = response.status;
    const base = `GitLab refused ${what} (${this.http.reason(response)})`;
    const refused = (why: string) => new ServiceError(`${base}: ${why}`, { status });
    const token = 'the GitLab token (GITLAB_TOKEN)';
    const needs = `a project, group or personal access token with the api scope and the Maintainer role on the ${where.kind}`;
    if (status === 401) return refused(`${token} is invalid, revoked or expired; create ${needs}`);
    if (status === 403) {
      const scope = (response.body as { error?: unknown } | undefined)?.error === 'insufficient_scope';
      const why = scope
        ? `${token} lacks the api scope (read_api cannot write variables)`
        : `${token} lacks the Maintainer role on ${where.kind} ${where.path} (a Developer cannot read or write CI/CD variables)`;
      return refused(`${why}; use ${needs}`);
    }
    if (status === 404) {
      return refused(`${where.kind} ${where.path} does not exist or ${token} cannot see it; check the path and the token`);
    }
    if (status >= 300 && status < 400) {
      return refused(
        `GitLab answered with a redirect, which is not followed (the token goes only to ${this.http.origin}); check gitlab-url`,
      );
    }
    return new ServiceError(base, { status });
  }
}

function whereOf(slot: SecretSlot): Where {
  if (slot.kind === 'gitlab-project') return { kind: 'project', path: slot.project, scope: slot.environmentScope };
  if (slot.kind === 'gitlab-group') return { kind: 'group', path: slot.group };
  throw new ServiceError(`${slot.target} is not a GitLab project or group: the GitLab store cannot write it`);
}

function describe(slot: SecretSlot): string {
  return `CI/CD variable ${slot.secretName} of ${slot.target}`;
}

function collectionPath(where: Where): string {
  return `/${where.kind}s/${encodeURIComponent(where.path)}/variables`;
}

/** A project variable is always named with its scope (`filter[environment_scope]`): a key may exist in several. */
function variablePath(where: Where, key: string): string {
  const path = `${collectionPath(where)}/${encodeURIComponent(key)}`;
  if (where.kind !== 'project') return path;
  return `${path}?${new URLSearchParams({ 'filter[environment_scope]': where.scope }).toString()}`;
}

/** GitLab's 404 for the variable itself (`404 Variable Not Found`), not for its project or group. */
function isVariableMissing(response: GitLabResponse): boolean {
  const message = (response.body as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' && /Variable Not Found/i.test(message);
}

/** 400 {"message":{"key":["(KEY) has already been taken"]}}: the variable exists (in this scope). */
function isTaken(response: GitLabResponse): boolean {
  if (response.status !== 400) return false;
  const key = (response.body as { message?: { key?: unknown } } | undefined)?.message?.key;
  return Array.isArray(key) && key.some((entry) => typeof entry === 'string' && entry.includes('has already been taken'));
}

/** 400 {"message":{"value":["is invalid"]}}: GitLab cannot mask this value. */
function isMaskRefusal(response: GitLabResponse): boolean {
  if (response.status !== 400) return false;
  const value = (response.body as { message?: { value?: unknown } } | undefined)?.message?.value;
  return Array.isArray(value) && value.some((entry) => entry === 'is invalid');
}

/** The store over its own HTTP client (services.ts loads this module only when the GitLab store is used). */
export function gitLabVariableStore(http: GitLabHttpOptions, options: GitLabStoreOptions): GitLabVariableStore {
  return new GitLabVariableStore(new GitLabHttp(http), options);
}

/**
 * A numeric project id resolved to its path (`GET /projects/:id`), so that key names never depend on how the project
 * was named (the command line does this before anything else is sent).
 */
export async function resolveProjectPath(options: GitLabHttpOptions, id: string): Promise<string> {
  const http = new GitLabHttp(options);
  const response = await http.send('GET', `/projects/${encodeURIComponent(id)}`, { what: `reading project ${id}` });
  const path = (response.body as { path_with_namespace?: unknown } | undefined)?.path_with_namespace;
  if (response.status === 200 && typeof path === 'string' && path.includes('/')) return path;
  const why =
    response.status === 401
      ? 'the GitLab token (GITLAB_TOKEN) is invalid, revoked or expired'
      : response.status === 404 || response.status === 403
        ? 'it does not exist or the GitLab token (GITLAB_TOKEN) cannot see it'
        : http.reason(response);
  throw new ServiceError(`GitLab project ${id} could not be resolved to its path: ${why}`, { status: response.status });
}

// Loaded with the store, one chunk for everything GitLab: the token's record (its expiry), and check mode's read of
// the rotation's pipeline schedule.
export { readTokenSelf } from './tokens.ts';
export { readPipelineSchedule } from './schedules.ts';
