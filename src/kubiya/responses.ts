// Kubiya's key-management responses are not documented (shared/spec/KUBIYA-API.md), so they are read
// defensively: several wrappers and field names are accepted, and JWT claims fill the gaps.
import type { ApiKey } from '../key-service.ts';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

function firstString(sources: unknown[], fields: string[]): string | undefined {
  for (const source of sources) {
    if (!isObject(source)) continue;
    for (const field of fields) {
      const value = source[field];
      if (typeof value === 'string' && value !== '') return value;
      if (typeof value === 'number') return String(value);
    }
  }
  return undefined;
}

function toDate(value: unknown): Date | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** The payload of a JWT-shaped key, or undefined when it is not one. */
export function jwtClaims(token: string): Json | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
    return isObject(claims) ? claims : undefined;
  } catch {
    return undefined;
  }
}

export interface CreatedKey {
  token?: string;
  id?: string;
  expiresAt?: Date;
  createdAt?: Date;
}

export function readCreatedKey(body: unknown): CreatedKey {
  const sources = [body, isObject(body) ? body['data'] : undefined];
  const token = firstString(sources, ['key', 'token', 'api_key', 'apiKey', 'value']);
  const claims = token ? jwtClaims(token) : undefined;
  const exp = claims?.['exp'];
  return {
    token,
    id: firstString(sources, ['id', 'uuid', 'key_id', 'token_id']) ?? firstString([claims], ['token_id']),
    expiresAt: toDate(firstString(sources, ['expires_at'])) ?? (typeof exp === 'number' ? new Date(exp * 1000) : undefined),
    createdAt: toDate(firstString(sources, ['created_at'])),
  };
}

export interface KeyPage {
  keys: ApiKey[];
  /** a link to the next page, if the response names one */
  next?: string;
  hasMore: boolean;
  total?: number;
}

export function readKeyPage(body: unknown): KeyPage {
  const list = Array.isArray(body)
    ? body
    : isObject(body)
      ? ([body['keys'], body['items'], body['data']].find(Array.isArray) ?? [])
      : undefined;
  if (!list) throw new Error('the key list response is not JSON with a list of keys');
  const next = isObject(body) ? firstString([body], ['next', 'next_page']) : undefined;
  const total = isObject(body) && typeof body['total'] === 'number' ? body['total'] : undefined;
  return {
    keys: list.map((entry, index) => readListedKey(isObject(entry) ? entry : {}, index)),
    next: next && !/^\d+$/.test(next) ? next : undefined,
    hasMore: isObject(body) && body['has_more'] === true,
    total,
  };
}

/** An entry without an id or a name cannot be told apart from a managed key: the listing is not trusted. */
function readListedKey(entry: Json, index: number): ApiKey {
  const id = firstString([entry], ['id', 'uuid', 'key_id', 'token_id']);
  const name = firstString([entry], ['name', 'token_name']);
  if (!id || name === undefined) throw new Error(`key ${index + 1} of the list has no ${id ? 'name' : 'id'}`);
  return {
    id,
    name,
    createdAt: toDate(entry['created_at']),
    lastUsed: toDate(entry['last_used'] ?? entry['last_used_at']),
    expiresAt: toDate(entry['expires_at']),
    description: typeof entry['description'] === 'string' ? entry['description'] : undefined,
    revoked: entry['status'] === 'revoked' || Boolean(entry['revoked_at']) || entry['revoked'] === true,
  };
}

/** A one-line reason from an error body: `detail` (string, object or validation list), then `message`, then `error`. */
export function readErrorDetail(body: unknown): string | undefined {
  if (!isObject(body)) return undefined;
  const detail = body['detail'];
  if (typeof detail === 'string') return detail;
  if (isObject(detail)) {
    const text = firstString([detail], ['message', 'error']);
    const hint = firstString([detail], ['hint']);
    return text && hint ? `${text} (${hint})` : text;
  }
  if (Array.isArray(detail)) {
    return detail
      .filter(isObject)
      .map((item) => [Array.isArray(item['loc']) ? item['loc'].join('.') : '', item['msg']].filter(Boolean).join(': '))
      .join('; ');
  }
  return firstString([body], ['message', 'error']);
}
