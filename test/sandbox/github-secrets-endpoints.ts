// The endpoints under one scope's `.../secrets` collection: list, public-key, get, put,
// delete, and for organization secrets the selected-repositories pair.
import type { EmulatedRequest, EmulatedResponse } from './http-emulator.ts';
import type { GitHubRepo, SecretsTarget } from './github-emulator.ts';
import { ENCRYPTED_VALUE_PATTERN, MAX_SECRET_BYTES, secretNameError } from './github-secrets.ts';
import type { OrgSecretVisibility, StoredSecret } from './github-secrets.ts';

interface EndpointContext {
  docs: string;
  repoById: (id: number) => GitHubRepo | undefined;
}

type OrgSettings = { visibility: OrgSecretVisibility; selectedRepositoryIds?: number[] };

const VISIBILITIES: readonly string[] = ['all', 'private', 'selected'];

export function githubError(status: number, message: string, documentationUrl = 'https://docs.github.com/rest'): EmulatedResponse {
  return { status, body: { message, documentation_url: documentationUrl, status: String(status) } };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(detail: string, docs: string): EmulatedResponse {
  return githubError(422, `Invalid request.\n\n${detail}`, docs);
}

/** Body of a write, or the 400 GitHub answers for malformed JSON. */
function readBody(req: EmulatedRequest, docs: string): { body: Record<string, unknown> } | { error: EmulatedResponse } {
  let body: unknown;
  try {
    body = req.json();
  } catch {
    return { error: githubError(400, 'Problems parsing JSON', docs) };
  }
  return isRecord(body) ? { body } : { error: githubError(400, 'Body should be a JSON object', docs) };
}

/** Repository ids as integers (GitHub accepts numbers and digit strings); undefined when malformed. */
function repositoryIds(value: unknown): number[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const ids = value.map((id) => (typeof id === 'string' && /^\d+$/.test(id) ? Number(id) : id));
  return ids.every((id): id is number => Number.isSafeInteger(id)) ? ids : undefined;
}

function orgSettings(body: Record<string, unknown>, docs: string): { settings: OrgSettings } | { error: EmulatedResponse } {
  const { visibility, selected_repository_ids: rawIds } = body;
  if (visibility === undefined) return { error: invalid('"visibility" wasn\'t supplied.', docs) };
  if (typeof visibility !== 'string' || !VISIBILITIES.includes(visibility)) {
    const detail = `For 'properties/visibility', ${JSON.stringify(visibility)} is not a member of ["all", "private", "selected"].`;
    return { error: invalid(detail, docs) };
  }
  if (rawIds === undefined) return { settings: { visibility: visibility as OrgSecretVisibility } };
  const ids = repositoryIds(rawIds);
  if (!ids) {
    return { error: invalid("For 'properties/selected_repository_ids', the value is not an array of repository ids.", docs) };
  }
  if (visibility !== 'selected' && ids.length > 0) {
    return { error: invalid('You can only provide a list of repository ids when the visibility is set to selected.', docs) };
  }
  return { settings: { visibility: visibility as OrgSecretVisibility, selectedRepositoryIds: ids } };
}

function secretJson(secret: StoredSecret, target: SecretsTarget): Record<string, unknown> {
  const json: Record<string, unknown> = { name: secret.name, created_at: secret.created_at, updated_at: secret.updated_at };
  if (target.org) {
    json['visibility'] = secret.visibility ?? 'private';
    if (secret.visibility === 'selected') {
      json['selected_repositories_url'] = `${target.collectionUrl}/${secret.name}/repositories`;
    }
  }
  return json;
}

function putSecret(req: EmulatedRequest, target: SecretsTarget, name: string, docs: string): EmulatedResponse {
  const nameError = secretNameError(name);
  if (nameError) return githubError(422, nameError, docs);
  const read = readBody(req, docs);
  if ('error' in read) return read.error;
  const { body } = read;
  const { encrypted_value: encrypted, key_id: keyId } = body;
  if (encrypted === undefined) return invalid('"encrypted_value" wasn\'t supplied.', docs);
  if (keyId === undefined) return invalid('"key_id" wasn\'t supplied.', docs);
  if (typeof encrypted !== 'string' || !ENCRYPTED_VALUE_PATTERN.test(encrypted)) {
    return invalid("For 'properties/encrypted_value', the value does not match the standard Base64 pattern.", docs);
  }
  if (typeof keyId !== 'string') return invalid(`For 'properties/key_id', ${JSON.stringify(keyId)} is not a string.`, docs);
  if (keyId !== target.scope.keyId) {
    return githubError(422, 'Bad request - key_id does not match the current public key', docs);
  }
  let settings: OrgSettings | undefined;
  if (target.org) {
    const parsed = orgSettings(body, docs);
    if ('error' in parsed) return parsed.error;
    settings = parsed.settings;
  }
  const value = target.scope.open(encrypted);
  if (value === undefined) return githubError(422, 'Bad request - could not decrypt value', docs);
  if (Buffer.byteLength(value) > MAX_SECRET_BYTES) return githubError(422, 'Secret value is too large (max 48 KB)', docs);
  const created = target.scope.store(name, encrypted, value, settings);
  return created ? { status: 201, body: {} } : { status: 204 };
}

function selectedRepositories(req: EmulatedRequest, secret: StoredSecret, context: EndpointContext): EmulatedResponse {
  const { docs } = context;
  if (req.method === 'GET') {
    const repositories = (secret.selectedRepositoryIds ?? [])
      .map((id) => context.repoById(id))
      .filter((repo) => repo !== undefined)
      .map((repo) => ({ id: repo.id, name: repo.name, full_name: repo.fullName, owner: { login: repo.owner } }));
    return { status: 200, body: { total_count: repositories.length, repositories } };
  }
  if (req.method !== 'PUT') return githubError(404, 'Not Found', docs);
  const read = readBody(req, docs);
  if ('error' in read) return read.error;
  const ids = repositoryIds(read.body['selected_repository_ids']);
  if (!ids) return invalid('"selected_repository_ids" wasn\'t supplied or is not an array of repository ids.', docs);
  if (secret.visibility !== 'selected') {
    return githubError(409, `The visibility of ${secret.name} is not "selected"`, docs);
  }
  secret.selectedRepositoryIds = ids;
  return { status: 204 };
}

export function secretsEndpoint(req: EmulatedRequest, target: SecretsTarget, rest: string[], context: EndpointContext): EmulatedResponse {
  const { docs } = context;
  const [name, sub, extra] = rest;
  if (name === undefined) {
    if (req.method !== 'GET') return githubError(404, 'Not Found', docs);
    const secrets = [...target.scope.secrets.values()].map((secret) => secretJson(secret, target));
    return { status: 200, body: { total_count: secrets.length, secrets } };
  }
  if (name === 'public-key' && sub === undefined) {
    return req.method === 'GET' ? { status: 200, body: target.scope.publicKey() } : githubError(404, 'Not Found', docs);
  }
  if (extra !== undefined || (sub !== undefined && (sub !== 'repositories' || !target.org))) {
    return githubError(404, 'Not Found', docs);
  }
  if (sub === undefined && req.method === 'PUT') return putSecret(req, target, name, docs);
  const secret = target.scope.get(name);
  if (!secret) return githubError(404, 'Not Found', docs);
  if (sub === 'repositories') return selectedRepositories(req, secret, context);
  if (req.method === 'GET') return { status: 200, body: secretJson(secret, target) };
  if (req.method === 'DELETE') {
    target.scope.secrets.delete(secret.name);
    return { status: 204 };
  }
  return githubError(404, 'Not Found', docs);
}
