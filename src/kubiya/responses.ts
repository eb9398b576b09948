// Kubiya's key-management responses are only partly documented (docs/kubiya-api.md), so they are read
// defensively: several wrappers, paging forms and field names are accepted, and JWT claims fill the gaps.
// What cannot be read is an error naming what was seen, never an empty list.
import { withExpiry, type ApiKey } from '../key-service.ts';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

export const KEY_FIELDS = ['key', 'token', 'api_key', 'apiKey', 'value'];
export const ID_FIELDS = ['id', 'uuid', 'key_id', 'token_id'];
const LIST_WRAPPERS = ['keys', 'api_keys', 'items', 'data', 'results', 'tokens'];

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

function firstValue(sources: unknown[], field: string): unknown {
  for (const source of sources) if (isObject(source) && source[field] !== undefined && source[field] !== null) return source[field];
  return undefined;
}

const ISO_DATE_TIME = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2})?)(\.\d+)?)?\s*(?:Z|([+-]\d{2})(?::?(\d{2}))?)?$/i;
const EPOCH_MS_FROM = 1e11;

/**
 * A timestamp as Kubiya may send it, independent of the runner's time zone: ISO-8601 (no zone offset = UTC), or a
 * number (or numeric string) of epoch seconds below 10^11, else milliseconds. Undefined when it is none of these.
 */
export function parseTimestamp(value: unknown): Date | undefined {
  if (typeof value !== 'number' && typeof value !== 'string') return undefined;
  let ms: number;
  if (typeof value === 'number' || /^\d+(\.\d+)?$/.test(value.trim())) {
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0) return undefined;
    ms = n < EPOCH_MS_FROM ? n * 1000 : n;
  } else {
    const match = ISO_DATE_TIME.exec(value.trim());
    if (!match) return undefined;
    const [, date, time = '00:00:00', fraction = '', offsetHours, offsetMinutes = '00'] = match;
    const seconds = time.length === 5 ? `${time}:00` : time;
    const millis = fraction ? `.${fraction.slice(1, 4).padEnd(3, '0')}` : '';
    const offset = offsetHours ? `${offsetHours}:${offsetMinutes}` : 'Z';
    ms = Date.parse(`${date}T${seconds}${millis}${offset}`);
  }
  const date = new Date(Math.round(ms));
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

/** A JWT-shaped key's `exp` claim (its payload read, its signature not checked), or undefined. */
export function jwtExpiry(token: string): Date | undefined {
  return parseTimestamp(jwtClaims(token)?.['exp']);
}

/** A create's answer: the key, its id, and the expiry the server gave (the response's `expires_at`, else the JWT's `exp`). */
export function readCreatedKey(body: unknown) {
  const sources = [body, isObject(body) ? body['data'] : undefined];
  const token = firstString(sources, KEY_FIELDS);
  const claims = token ? jwtClaims(token) : undefined;
  return {
    token,
    id: firstString(sources, ID_FIELDS) ?? firstString([claims], ['token_id']),
    expiresAt: parseTimestamp(firstValue(sources, 'expires_at')) ?? parseTimestamp(claims?.['exp']),
    createdAt: parseTimestamp(firstValue(sources, 'created_at')),
  };
}

const num = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value)
    ? value
    : typeof value === 'string' && /^\d+$/.test(value)
      ? Number(value)
      : undefined;

/** How a page of the key list says where the next one is; every field is as the server sent it. */
function readPaging(body: Json) {
  const first = (...values: unknown[]) =>
    values.find((value): value is string | number => (typeof value === 'string' && value !== '') || typeof value === 'number');
  return {
    /** a URL, a path, or a page number */
    next: first(body['next'], body['next_page'], body['next_url']),
    hasMore: typeof body['has_more'] === 'boolean' ? body['has_more'] : undefined,
    page: num(body['page']),
    total: num(body['total']),
    limit: num(body['limit']) ?? num(body['per_page']) ?? num(body['page_size']),
    offset: num(body['offset']),
    cursor: firstString([body], ['next_cursor', 'cursor']),
  };
}

/** The list of keys in a body: the body itself, or under one of LIST_WRAPPERS. */
function listIn(body: unknown): unknown[] | undefined {
  if (Array.isArray(body)) return body as unknown[];
  if (!isObject(body)) return undefined;
  const wrapped = LIST_WRAPPERS.map((wrapper) => body[wrapper]).find(Array.isArray);
  // `{"data": {"keys": [...]}}`: one level of nesting under `data` (a `data` that is the list itself was taken above).
  return wrapped ?? listIn(body['data']);
}

const describeFields = (body: Json) => {
  const fields = Object.keys(body);
  return fields.length === 0
    ? 'an empty object'
    : `an object with fields ${fields.slice(0, 12).join(', ')}${fields.length > 12 ? ', …' : ''}`;
};

export type KeyPage = ReturnType<typeof readKeyPage>;

/** One page of the key list. Throws, naming what it saw, when the body holds no list of keys. */
export function readKeyPage(body: unknown) {
  const list = listIn(body);
  if (!list) {
    const seen = isObject(body) ? describeFields(body) : body === undefined ? 'no JSON' : `JSON of type ${typeof body}`;
    throw new Error(
      `the key list response has no list of keys: it is ${seen}, not an array nor an object with one under ${LIST_WRAPPERS.join(', ')}`,
    );
  }
  const keys: ApiKey[] = [];
  let skippedFields: string[] | undefined;
  for (const entry of list) {
    const key = isObject(entry) ? readListedKey(entry) : undefined;
    if (key) keys.push(key);
    else skippedFields ??= isObject(entry) ? Object.keys(entry) : [`(${typeof entry})`];
  }
  return {
    keys,
    /** entries on the page, the skipped ones included */
    entries: list.length,
    /** the field names of the first skipped entry, to say what was seen when nothing could be read */
    skippedFields,
    paging: readPaging(isObject(body) ? body : {}),
  };
}

/** A listed key, or undefined when the entry cannot be a managed key (no id, or an empty or missing name). */
function readListedKey(entry: Json): ApiKey | undefined {
  const id = firstString([entry], ID_FIELDS);
  const name = firstString([entry], ['name', 'token_name']);
  if (!id || !name || name.trim() === '') return undefined;
  const status = typeof entry['status'] === 'string' ? entry['status'].toLowerCase() : '';
  const key: ApiKey = withExpiry({
    id,
    name,
    createdAt: parseTimestamp(entry['created_at']),
    lastUsed: parseTimestamp(entry['last_used'] ?? entry['last_used_at']),
    expiresAt: parseTimestamp(entry['expires_at']),
    revoked:
      status === 'revoked' ||
      (entry['revoked_at'] !== undefined && entry['revoked_at'] !== null && entry['revoked_at'] !== '') ||
      entry['revoked'] === true,
  });
  if (typeof entry['description'] === 'string') key.description = entry['description'];
  return key;
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
