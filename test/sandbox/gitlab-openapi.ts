// GitLab's own OpenAPI description (an excerpt kept as test data in gitlab-openapi/) and a checker:
// a request a test (or the GitLab store) sends must be an operation GitLab declares, with a body
// and a query that use only the parameters that operation declares.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

interface Parameter {
  in: 'path' | 'query' | 'body' | 'header' | 'formData';
  name: string;
  required?: boolean;
  schema?: { $ref?: string };
}

interface Schema {
  type?: string;
  enum?: unknown[];
  required?: string[];
  properties?: Record<string, Schema>;
}

interface Operation {
  operationId: string;
  parameters?: Parameter[];
}

interface OpenApiSubset {
  paths: Record<string, Record<string, Operation>>;
  definitions: Record<string, Schema>;
}

let loaded: OpenApiSubset | undefined;

export function openApiSubset(): OpenApiSubset {
  loaded ??= parse(readFileSync(new URL('gitlab-openapi/openapi-subset.yaml', import.meta.url), 'utf8')) as OpenApiSubset;
  return loaded;
}

/** `/api/v4/projects/{id}/variables/{key}` matches one raw (still URL-encoded) path segment per `{…}`. */
function templateMatches(template: string, path: string): boolean {
  const pattern = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+');
  return new RegExp(`^${pattern}$`).test(path);
}

/** The template of the declared operation a request path falls under, if any. */
export function findOperation(method: string, path: string): { template: string; operation: Operation } | undefined {
  const verb = method.toLowerCase();
  // A literal template wins over one with a parameter in the same place (`/personal_access_tokens/self`).
  const templates = Object.keys(openApiSubset().paths).sort((a, b) => a.split('{').length - b.split('{').length);
  for (const template of templates) {
    const operation = openApiSubset().paths[template]?.[verb];
    if (operation && templateMatches(template, path)) return { template, operation };
  }
  return undefined;
}

function bodySchema(operation: Operation): Schema | undefined {
  const ref = operation.parameters?.find((p) => p.in === 'body')?.schema?.$ref;
  if (ref === undefined) return undefined;
  const schema = openApiSubset().definitions[ref.replace('#/definitions/', '')];
  if (!schema) throw new Error(`openapi-subset.yaml: ${operation.operationId} refers to ${ref}, which is not kept`);
  return schema;
}

function typeProblem(name: string, value: unknown, schema: Schema): string | undefined {
  if (schema.type === 'boolean' && typeof value !== 'boolean') return `${name} must be a boolean`;
  if (schema.type === 'string' && typeof value !== 'string') return `${name} must be a string`;
  if (schema.type === 'object' && (typeof value !== 'object' || value === null)) return `${name} must be an object`;
  if (schema.enum && !schema.enum.includes(value)) return `${name} must be one of ${schema.enum.join(', ')}`;
  return undefined;
}

function bodyProblems(operation: Operation, body: Record<string, unknown>): string[] {
  const schema = bodySchema(operation);
  if (!schema) return Object.keys(body).length === 0 ? [] : [`${operation.operationId} takes no body`];
  const properties = schema.properties ?? {};
  const problems = Object.entries(body).map(([name, value]) => {
    const declared = properties[name];
    return declared ? typeProblem(name, value, declared) : `${name} is not a parameter of ${operation.operationId}`;
  });
  for (const name of schema.required ?? []) if (!(name in body)) problems.push(`${name} is required by ${operation.operationId}`);
  return problems.filter((problem) => problem !== undefined);
}

/** A query `filter[environment_scope]` is declared as a query parameter, or (PUT) as `filter.environment_scope` of the body. */
function queryProblems(operation: Operation, query: URLSearchParams): string[] {
  const declared = new Set((operation.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name));
  const body = bodySchema(operation)?.properties ?? {};
  const problems: string[] = [];
  for (const name of new Set(query.keys())) {
    const [, outer, inner] = /^([^[]+)\[([^\]]+)\]$/.exec(name) ?? [];
    const inBody = outer !== undefined && inner !== undefined && body[outer]?.properties?.[inner] !== undefined;
    if (!declared.has(name) && !inBody) problems.push(`query ${name} is not a parameter of ${operation.operationId}`);
  }
  return problems;
}

/**
 * Throws unless GitLab's OpenAPI excerpt declares
 * `method path` and every body field and query parameter. `path` is the raw request path (`/api/v4/...`).
 */
export function assertMatchesOpenApi(method: string, path: string, body?: unknown, query?: URLSearchParams | string): void {
  const found = findOperation(method, path);
  if (!found) throw new Error(`${method} ${path} is not an operation of GitLab's OpenAPI description`);
  const params = typeof query === 'string' ? new URLSearchParams(query) : (query ?? new URLSearchParams());
  const fields = body === undefined || body === '' ? {} : (body as Record<string, unknown>);
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields))
    throw new Error(`${method} ${path}: the body must be a JSON object`);
  const { operation } = found;
  const problems = [...bodyProblems(operation, fields), ...queryProblems(operation, params)];
  if (problems.length > 0) throw new Error(`${method} ${path} (${found.template}): ${problems.join('; ')}`);
}
