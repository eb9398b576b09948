// GitLab CI/CD variables of one project or group: the same key once per environment scope, the
// attributes GitLab keeps (masked, hidden, protected, raw, type, description), and the rules GitLab
// applies when a variable is created or updated through the REST API.
import type { EmulatedResponse } from './http-emulator.ts';

export type VariableType = 'env_var' | 'file';

export interface StoredVariable {
  key: string;
  value: string;
  variable_type: VariableType;
  protected: boolean;
  masked: boolean;
  hidden: boolean;
  raw: boolean;
  environment_scope: string;
  description: string | null;
  /** Emulator bookkeeping, not part of GitLab's answer. */
  updatedAt: string;
}

/**
 * GitLab masks a value only when it is at least 8 characters, a single line, and made of the Base64
 * alphabet (RFC 4648, both the standard and the URL-safe one) plus '@', ':', '.', '~'; that is
 * A-Z a-z 0-9 and + / = - _ @ : . ~. See "Mask a CI/CD variable", https://docs.gitlab.com/ci/variables/#mask-a-cicd-variable
 * (and https://gitlab.com/gitlab-org/gitlab/-/issues/367220 for the character list). Otherwise the API
 * answers 400 {"message":{"value":["is invalid"]}}.
 */
export const MASKABLE_VALUE = /^[A-Za-z0-9+/=\-_@:.~]{8,}$/;
/** Keys: letters, digits and '_', at most 255 characters. */
export const VARIABLE_KEY = /^[A-Za-z0-9_]{1,255}$/;
const TYPES: readonly string[] = ['env_var', 'file'];

export const badRequest = (message: unknown): EmulatedResponse => ({ status: 400, body: { message } });
export const notFound = (what: string): EmulatedResponse => ({ status: 404, body: { message: `404 ${what} Not Found` } });

/** GitLab's answer: a hidden variable's value is not returned. */
export function variableJson(variable: StoredVariable): Record<string, unknown> {
  const { updatedAt: _updatedAt, value, ...rest } = variable;
  return variable.hidden ? rest : { ...rest, value };
}

function attributeProblem(body: Record<string, unknown>): EmulatedResponse | undefined {
  for (const name of ['value', 'environment_scope', 'description', 'key']) {
    if (body[name] !== undefined && body[name] !== null && typeof body[name] !== 'string')
      return { status: 400, body: { error: `${name} is invalid` } };
  }
  for (const name of ['protected', 'masked', 'masked_and_hidden', 'raw']) {
    if (body[name] !== undefined && typeof body[name] !== 'boolean') return { status: 400, body: { error: `${name} is invalid` } };
  }
  const type = body['variable_type'];
  if (type !== undefined && (typeof type !== 'string' || !TYPES.includes(type))) {
    return { status: 400, body: { error: 'variable_type does not have a valid value' } };
  }
  return undefined;
}

function maskProblem(variable: Pick<StoredVariable, 'masked' | 'value'>): EmulatedResponse | undefined {
  return variable.masked && !MASKABLE_VALUE.test(variable.value) ? badRequest({ value: ['is invalid'] }) : undefined;
}

export class VariableSet {
  readonly variables: StoredVariable[] = [];

  /** Exactly this key and scope. */
  get(key: string, scope = '*'): StoredVariable | undefined {
    return this.variables.find((v) => v.key === key && v.environment_scope === scope);
  }

  /**
   * GitLab's lookup by key with an optional `filter[environment_scope]`: without the filter and with the key
   * in several scopes, 409 (https://gitlab.com/gitlab-org/gitlab/-/merge_requests/34490).
   */
  find(key: string, scope: string | undefined, what: string): StoredVariable | EmulatedResponse {
    const matches = this.variables.filter((v) => v.key === key && (scope === undefined || v.environment_scope === scope));
    if (matches.length === 0) return notFound(what);
    if (matches.length > 1) {
      return {
        status: 409,
        body: { message: "There are multiple variables with provided parameters. Please use 'filter[environment_scope]'" },
      };
    }
    return matches[0] as StoredVariable;
  }

  create(body: Record<string, unknown>): StoredVariable | EmulatedResponse {
    const problem = attributeProblem(body);
    if (problem) return problem;
    const { key, value } = body;
    if (typeof key !== 'string') return { status: 400, body: { error: 'key is missing' } };
    if (typeof value !== 'string') return { status: 400, body: { error: 'value is missing' } };
    if (!VARIABLE_KEY.test(key)) return badRequest({ key: ["can contain only letters, digits and '_'."] });
    const scope = typeof body['environment_scope'] === 'string' ? body['environment_scope'] : '*';
    if (this.get(key, scope)) return badRequest({ key: [`(${key}) has already been taken`] });
    const hidden = body['masked_and_hidden'] === true;
    const variable: StoredVariable = {
      key,
      value,
      variable_type: (body['variable_type'] as VariableType | undefined) ?? 'env_var',
      protected: body['protected'] === true,
      masked: hidden || body['masked'] === true,
      hidden,
      raw: body['raw'] === true,
      environment_scope: scope,
      description: typeof body['description'] === 'string' ? body['description'] : null,
      updatedAt: new Date().toISOString(),
    };
    const masking = maskProblem(variable);
    if (masking) return masking;
    this.variables.push(variable);
    return variable;
  }

  /** PUT changes only the fields it sends. */
  update(variable: StoredVariable, body: Record<string, unknown>): StoredVariable | EmulatedResponse {
    const problem = attributeProblem(body);
    if (problem) return problem;
    if (variable.hidden && body['masked'] === false) return badRequest({ masked: ['cannot be changed for a hidden variable'] });
    const next: StoredVariable = { ...variable };
    if (typeof body['value'] === 'string') next.value = body['value'];
    if (typeof body['protected'] === 'boolean') next.protected = body['protected'];
    if (typeof body['masked'] === 'boolean') next.masked = body['masked'];
    if (typeof body['raw'] === 'boolean') next.raw = body['raw'];
    if (typeof body['variable_type'] === 'string') next.variable_type = body['variable_type'] as VariableType;
    if (typeof body['description'] === 'string') next.description = body['description'];
    if (typeof body['environment_scope'] === 'string') next.environment_scope = body['environment_scope'];
    if (next.environment_scope !== variable.environment_scope && this.get(next.key, next.environment_scope)) {
      return badRequest({ key: [`(${next.key}) has already been taken`] });
    }
    const masking = maskProblem(next);
    if (masking) return masking;
    Object.assign(variable, next, { updatedAt: new Date().toISOString() });
    return variable;
  }

  delete(variable: StoredVariable): void {
    this.variables.splice(this.variables.indexOf(variable), 1);
  }
}
