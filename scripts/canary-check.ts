// Independent checks of the Kubiya API with plain HTTP calls that share no code with src/: what the action
// assumes (docs/kubiya-api.md) against what the server answers. Reports shapes (field names, wrappers, paging
// fields, lifetimes) only, never a value and never a key.
//
//   npm run canary  (= node scripts/canary-check.ts probe)
//       mints keys of 5 minutes, 1 hour and 24 hours (and two that tell whether `expires_at` or `ttl` is read),
//       lists, verifies, revokes and confirms each revocation, then prints a verdict per assumption. Everything
//       it minted is revoked before it exits, whatever failed. Needs KUBIYA_ADMIN_API_KEY.
//
// After the action ran in the canary workflow (.github/workflows/canary.yml), confirm its effects:
//
//   node scripts/canary-check.ts authenticates
//   node scripts/canary-check.ts listed --id ID --name NAME
//   node scripts/canary-check.ts revoked --id ID
//   node scripts/canary-check.ts slot --prefix 'canary:owner/repo:SECRET:run-' --id ID
//   node scripts/canary-check.ts secret-updated --repository owner/repo --name SECRET --since ISO-8601
//
// Environment: KUBIYA_API_URL (default https://api.kubiya.ai); KUBIYA_API_KEY (the key `authenticates`
// checks); KUBIYA_ADMIN_API_KEY (lists keys); GITHUB_TOKEN and GITHUB_API_URL (`secret-updated`);
// GITHUB_STEP_SUMMARY (each result is appended to it when set). Exit 0 when the check holds, 1 when not.
import { appendFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

type Json = Record<string, unknown>;
type Env = Record<string, string | undefined>;

export interface CheckResult {
  ok: boolean;
  /** Markdown lines for the job summary; they carry no key. */
  lines: string[];
  /** the report's last line, when the usual one (every assumption holds, or not) would mislead */
  verdict?: string;
}

const REQUEST_TIMEOUT_MS = 30_000;
const MAX_PAGES = 2_000;
const ID_FIELDS = ['id', 'uuid', 'key_id', 'token_id'];
const KEY_FIELDS = ['key', 'token', 'api_key', 'apiKey', 'value'];
const WRAPPERS = ['keys', 'api_keys', 'items', 'data', 'results', 'tokens'];
const PAGING_FIELDS = [
  'next',
  'next_page',
  'next_url',
  'has_more',
  'page',
  'total',
  'limit',
  'per_page',
  'page_size',
  'offset',
  'cursor',
  'next_cursor',
];

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

function required(env: Env, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

function option(args: string[], name: string): string {
  const index = args.indexOf(`--${name}`);
  const value = index === -1 ? undefined : args[index + 1];
  if (value === undefined || value === '') throw new Error(`--${name} is required`);
  return value;
}

function kubiyaBase(env: Env): string {
  return (env['KUBIYA_API_URL'] || 'https://api.kubiya.ai').replace(/\/+$/, '');
}

async function getJson(url: string, authorization: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, {
    headers: { authorization, accept: 'application/json' },
    redirect: 'manual',
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await response.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, body };
}

// ---- Kubiya key list ---------------------------------------------------------------------------------------

export interface ListedKey {
  id: string | undefined;
  name: string | undefined;
  expiresAt: string | undefined;
  revoked: boolean;
  fields: string[];
  timestamps: string[];
}

export interface KeyList {
  keys: ListedKey[];
  /** How the entries were wrapped: `keys`, `items`, `data` or `array`. */
  wrapper: string;
  pagingFields: string[];
  pages: number;
  /** entries that are not objects */
  junk: number;
}

/** ISO-8601 (no zone = UTC) or epoch seconds (< 1e11) / milliseconds, as epoch ms; NaN when unreadable. */
export function timestampMs(value: unknown): number {
  if (typeof value === 'number') return value < 1e11 ? value * 1000 : value;
  if (typeof value !== 'string') return NaN;
  if (/^\d+$/.test(value)) return timestampMs(Number(value));
  const zoned = /(?:Z|[+-]\d{2}:?\d{2})$/i.test(value) || !/^\d{4}-\d{2}-\d{2}[T ]\d/.test(value) ? value : `${value}Z`;
  return Date.parse(zoned.replace(' ', 'T'));
}

/** The form of a timestamp, for the report. */
export function timestampForm(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number') return value < 1e11 ? 'epoch seconds' : 'epoch milliseconds';
  if (typeof value !== 'string') return typeof value;
  if (/^\d{4}-\d{2}-\d{2}[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})$/i.test(value)) return 'ISO-8601 with zone';
  if (/^\d{4}-\d{2}-\d{2}[T ][\d:.]+$/.test(value)) return 'ISO-8601 without zone';
  return 'other';
}

function readEntry(entry: Json): ListedKey {
  const id = ID_FIELDS.map((field) => entry[field]).find((value) => typeof value === 'string' || typeof value === 'number');
  const status = typeof entry['status'] === 'string' ? entry['status'].toLowerCase() : '';
  const expires = timestampMs(entry['expires_at']);
  return {
    id: id === undefined ? undefined : String(id),
    name: typeof entry['name'] === 'string' ? entry['name'] : undefined,
    expiresAt: Number.isNaN(expires) ? undefined : new Date(expires).toISOString(),
    revoked: status === 'revoked' || (entry['revoked_at'] !== undefined && entry['revoked_at'] !== null),
    fields: Object.keys(entry).sort(),
    timestamps: ['created_at', 'expires_at', 'last_used', 'revoked_at']
      .filter((f) => f in entry)
      .map((f) => `${f}: ${timestampForm(entry[f])}`),
  };
}

function entriesOf(body: unknown): { entries: unknown[]; wrapper: string } | undefined {
  if (Array.isArray(body)) return { entries: body, wrapper: 'array' };
  if (!isObject(body)) return undefined;
  for (const wrapper of WRAPPERS) {
    const entries = body[wrapper];
    if (Array.isArray(entries)) return { entries, wrapper };
  }
  return undefined;
}

function nextPage(body: unknown, current: URL, entries: number, seen: number): URL | undefined {
  if (!isObject(body)) return undefined;
  const withParam = (params: Record<string, string | number | undefined>) => {
    const url = new URL(current);
    for (const [name, value] of Object.entries(params))
      if (value !== undefined && value !== null) url.searchParams.set(name, String(value));
    return url;
  };
  const next = body['next'] ?? body['next_page'] ?? body['next_url'];
  if (typeof next === 'number' || (typeof next === 'string' && /^\d+$/.test(next))) return withParam({ page: next });
  if (typeof next === 'string' && next !== '') {
    const url = new URL(next, current);
    if (url.origin !== current.origin)
      throw new Error(`the key list continues at another origin (${url.origin}); not followed with the admin key`);
    return url;
  }
  if (entries === 0) return undefined;
  const cursor = body['next_cursor'] ?? body['cursor'];
  if ((typeof cursor === 'string' && cursor !== '') || typeof cursor === 'number') return withParam({ cursor });
  if (body['has_more'] === false) return undefined;
  const page = typeof body['page'] === 'number' ? body['page'] : Number(current.searchParams.get('page') ?? '1');
  const total = typeof body['total'] === 'number' ? body['total'] : undefined;
  const limit = [body['limit'], body['per_page'], body['page_size']].find((v): v is number => typeof v === 'number');
  if (typeof body['offset'] === 'number') {
    const offset = body['offset'] + entries;
    return body['has_more'] === true || (total !== undefined && offset < total) ? withParam({ offset, limit }) : undefined;
  }
  if (body['has_more'] === true) return withParam({ page: page + 1 });
  if (total !== undefined && (limit !== undefined ? page * limit < total : seen < total)) return withParam({ page: page + 1 });
  return undefined;
}

export async function listKeys(env: Env): Promise<KeyList> {
  const adminKey = required(env, 'KUBIYA_ADMIN_API_KEY');
  let url: URL | undefined = new URL(`${kubiyaBase(env)}/api/v1/auth/keys`);
  const list: KeyList = { keys: [], wrapper: '', pagingFields: [], pages: 0, junk: 0 };
  const seenUrls = new Set<string>();
  let entries = 0;
  while (url) {
    if (list.pages >= MAX_PAGES) throw new Error(`GET /api/v1/auth/keys did not end after ${MAX_PAGES} pages`);
    if (seenUrls.has(url.href)) throw new Error('GET /api/v1/auth/keys pointed back to a page already read');
    seenUrls.add(url.href);
    const { status, body } = await getJson(url.href, `UserKey ${adminKey}`);
    if (status !== 200) throw new Error(`GET /api/v1/auth/keys answered ${status}`);
    const read = entriesOf(body);
    if (!read) {
      const fields = isObject(body) ? Object.keys(body).join(', ') || 'none' : typeof body;
      throw new Error(`GET /api/v1/auth/keys: no key array at the top level or under ${WRAPPERS.join(', ')} (fields: ${fields})`);
    }
    list.pages += 1;
    list.wrapper = read.wrapper;
    if (isObject(body)) {
      for (const field of PAGING_FIELDS) if (field in body && !list.pagingFields.includes(field)) list.pagingFields.push(field);
    }
    list.keys.push(...read.entries.filter(isObject).map(readEntry));
    list.junk += read.entries.filter((entry) => !isObject(entry)).length;
    entries += read.entries.length;
    url = nextPage(body, url, read.entries.length, entries);
  }
  return list;
}

const isLive = (key: ListedKey, now: number): boolean => !key.revoked && (key.expiresAt === undefined || Date.parse(key.expiresAt) > now);

function shape(list: KeyList, key?: ListedKey): string[] {
  return [
    `  - list shape: entries under \`${list.wrapper}\`, ${list.pages} page(s), paging fields: ${list.pagingFields.length ? list.pagingFields.map((f) => `\`${f}\``).join(', ') : 'none'}`,
    ...(key ? [`  - fields of a key entry: ${key.fields.map((f) => `\`${f}\``).join(', ')}`] : []),
  ];
}

// ---- the checks --------------------------------------------------------------------------------------------

async function authenticates(env: Env): Promise<CheckResult> {
  const key = required(env, 'KUBIYA_API_KEY');
  let path = '/api/v1/users/self';
  let { status } = await getJson(`${kubiyaBase(env)}${path}`, `UserKey ${key}`);
  if (status === 404) {
    path = '/api/v1/users/current';
    ({ status } = await getJson(`${kubiyaBase(env)}${path}`, `UserKey ${key}`));
  }
  return {
    ok: status === 200,
    lines: [`the minted key authenticates: \`GET ${path}\` answered ${status}`],
  };
}

async function listed(env: Env, args: string[]): Promise<CheckResult> {
  const id = option(args, 'id');
  const name = option(args, 'name');
  const list = await listKeys(env);
  const key = list.keys.find((candidate) => candidate.id === id);
  if (!key) return { ok: false, lines: [`the key list shows key \`${id}\`: it is not listed`, ...shape(list, list.keys[0])] };
  const problems = [
    key.name === name ? undefined : `its name is \`${key.name ?? '(none)'}\`, not \`${name}\``,
    key.expiresAt ? undefined : 'it has no `expires_at`',
    isLive(key, Date.now()) ? undefined : 'it is not live',
  ].filter((problem) => problem !== undefined);
  return {
    ok: problems.length === 0,
    lines: [
      `the key list shows key \`${id}\` named \`${name}\`${key.expiresAt ? `, expiring ${key.expiresAt}` : ''}${problems.length ? `: ${problems.join('; ')}` : ''}`,
      ...shape(list, key),
    ],
  };
}

async function revoked(env: Env, args: string[], sleep: (ms: number) => Promise<void>): Promise<CheckResult> {
  const id = option(args, 'id');
  const attempts = Number(env['CANARY_CHECK_ATTEMPTS'] ?? '6');
  for (let attempt = 1; ; attempt += 1) {
    const list = await listKeys(env);
    const key = list.keys.find((candidate) => candidate.id === id);
    if (!key || key.revoked) {
      const how = key ? 'listed as revoked' : 'no longer listed';
      return { ok: true, lines: [`key \`${id}\` was revoked by the post step: ${how}`, ...shape(list, key)] };
    }
    if (attempt >= attempts) {
      return {
        ok: false,
        lines: [`key \`${id}\` was revoked by the post step: it is still listed and not marked revoked`, ...shape(list, key)],
      };
    }
    await sleep(5_000);
  }
}

async function slot(env: Env, args: string[]): Promise<CheckResult> {
  const prefix = option(args, 'prefix');
  const id = option(args, 'id');
  const list = await listKeys(env);
  const now = Date.now();
  const live = list.keys.filter((key) => key.name?.startsWith(prefix) && isLive(key, now));
  const ok = live.length === 1 && live[0]?.id === id;
  return {
    ok,
    lines: [
      `the slot \`${prefix}…\` holds exactly the new key \`${id}\`: live keys are ${live.length ? live.map((key) => `\`${key.id ?? '(no id)'}\``).join(', ') : 'none'}`,
      ...shape(list),
    ],
  };
}

async function secretUpdated(env: Env, args: string[]): Promise<CheckResult> {
  const repository = option(args, 'repository');
  const name = option(args, 'name');
  const since = Date.parse(option(args, 'since'));
  const token = required(env, 'GITHUB_TOKEN');
  const api = (env['GITHUB_API_URL'] || 'https://api.github.com').replace(/\/+$/, '');
  const { status, body } = await getJson(`${api}/repos/${repository}/actions/secrets/${encodeURIComponent(name)}`, `Bearer ${token}`);
  const updatedAt = isObject(body) && typeof body['updated_at'] === 'string' ? body['updated_at'] : undefined;
  // GitHub's timestamps have second precision: allow the second the check started in.
  const ok = status === 200 && updatedAt !== undefined && Date.parse(updatedAt) >= since - 1_000;
  return {
    ok,
    lines: [`the secret ${name} of ${repository} was written by this run: GitHub answered ${status}, updated_at ${updatedAt ?? '(none)'}`],
  };
}

// ---- the probe: npm run canary -----------------------------------------------------------------------------

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** The lifetimes the probe asks for with both fields; the action's defaults (mint 1h, rotate 30d) sit among them. */
export const PROBE_LIFETIMES = [
  { label: '5 minutes', ms: 5 * MINUTE, ttl: '5m' },
  { label: '1 hour', ms: HOUR, ttl: '1h' },
  { label: '24 hours', ms: DAY, ttl: '1d' },
];
/** Two more keys, each asking with one field only, in lifetimes no server default has: which field is read. */
const ONE_FIELD_PROBES = [
  { label: '2 days by `expires_at` only', ms: 2 * DAY, ttl: '2d', send: 'expires_at' as const },
  { label: '3 days by `ttl` only', ms: 3 * DAY, ttl: '3d', send: 'ttl' as const },
];
const EXPIRY_TOLERANCE_MS = 10 * MINUTE;

/** What the probe checks, one verdict each, in the report's order (plus one `oneField` per ONE_FIELD_PROBES entry). */
const ASSUMPTION = {
  identity: '`GET /api/v1/users/self` with `Authorization: UserKey` identifies the key',
  listShape: 'the key list is an array, bare or under a known wrapper',
  timestamps: 'list timestamps are ISO-8601 (a zone-less one is UTC) or epoch numbers',
  listed: 'a created key is listed with its id and name',
  authenticates: 'a new key authenticates at once',
  creates: '`POST /api/v1/auth/keys` creates a key',
  lifetimes: 'every lifetime from 5 minutes up is accepted',
  honoured: 'the server gives the requested lifetime (within 10 minutes)',
  response: 'the create response carries the key, its id and its expiry',
  revokes: '`DELETE /api/v1/auth/keys/{id}` revokes: the key stops authenticating and is listed revoked or gone',
  missing: '`DELETE` of a key that does not exist answers 404',
  cleaned: 'everything the probe minted is revoked',
};
const oneField = (send: string): string => `\`${send}\` alone sets the lifetime`;
const ALL_ASSUMPTIONS = [
  ...Object.values(ASSUMPTION).slice(0, 8),
  ...ONE_FIELD_PROBES.map((probe) => oneField(probe.send)),
  ...Object.values(ASSUMPTION).slice(8),
];

interface ProbeKey {
  label: string;
  name: string;
  requestedMs: number;
  ttl: string;
  send: 'both' | 'expires_at' | 'ttl';
  status?: number;
  /** a create without an answer, or a 5xx: a key may exist, found by name at cleanup */
  unknown?: boolean;
  refusal?: string;
  token?: string;
  id?: string;
  givenMs?: number;
  expirySource?: string;
  bodyFields?: string[];
  keyField?: string;
  idField?: string;
  claims?: string[];
  verifyStatus?: number;
  revokeStatus?: number;
  afterStatus?: number;
  afterListed?: string;
}

type Verdict = { assumption: string; state: 'holds' | 'differs' | 'unchecked'; note: string };

async function call(method: string, url: string, authorization: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, {
    method,
    headers: { authorization, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    redirect: 'manual',
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await response.text();
  try {
    return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
  } catch {
    return { status: response.status, body: undefined };
  }
}

function errorText(body: unknown): string {
  if (!isObject(body)) return '';
  const detail = body['detail'];
  if (typeof detail === 'string') return detail;
  const text = (value: unknown): string => (typeof value === 'string' ? value : '');
  if (Array.isArray(detail))
    return detail
      .filter(isObject)
      .map((item) => text(item['msg']))
      .join('; ');
  if (isObject(detail)) return text(detail['message']) || text(detail['error']);
  return typeof body['message'] === 'string' ? body['message'] : '';
}

function claimsOf(token: string): Json | undefined {
  const part = token.split('.')[1];
  if (token.split('.').length !== 3 || part === undefined) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return isObject(claims) ? claims : undefined;
  } catch {
    return undefined;
  }
}

function readCreate(key: ProbeKey, body: unknown, sentAt: number): void {
  const sources = [body, isObject(body) ? body['data'] : undefined].filter(isObject);
  key.bodyFields = sources.flatMap((source, i) => Object.keys(source).map((field) => (i === 0 ? field : `data.${field}`))).sort();
  for (const source of sources) {
    const field = KEY_FIELDS.find((f) => typeof source[f] === 'string' && source[f] !== '');
    if (field && !key.token) {
      key.token = source[field] as string;
      key.keyField = `${source === body ? '' : 'data.'}${field}`;
    }
    const idField = ID_FIELDS.find((f) => typeof source[f] === 'string' || typeof source[f] === 'number');
    if (idField && !key.id) {
      key.id = String(source[idField]);
      key.idField = `${source === body ? '' : 'data.'}${idField}`;
    }
  }
  const claims = key.token ? claimsOf(key.token) : undefined;
  key.claims = claims ? Object.keys(claims).sort() : undefined;
  if (!key.id && typeof claims?.['token_id'] === 'string') {
    key.id = claims['token_id'];
    key.idField = 'JWT token_id';
  }
  const expires = sources.map((source) => source['expires_at']).find((value) => value !== undefined && value !== null);
  const given = expires !== undefined ? timestampMs(expires) : typeof claims?.['exp'] === 'number' ? claims['exp'] * 1000 : NaN;
  key.expirySource = expires !== undefined ? `expires_at (${timestampForm(expires)})` : claims?.['exp'] !== undefined ? 'JWT exp' : 'none';
  if (!Number.isNaN(given)) key.givenMs = given - sentAt;
}

const duration = (ms: number): string => {
  const minutes = Math.round(ms / MINUTE);
  if (Math.abs(minutes) >= 2 * 24 * 60) return `${(minutes / 1440).toFixed(minutes % 1440 === 0 ? 0 : 1)} days`;
  if (Math.abs(minutes) >= 120) return `${(minutes / 60).toFixed(minutes % 60 === 0 ? 0 : 1)} hours`;
  return `${minutes} minutes`;
};
const list = (items: string[]): string => (items.length ? items.map((item) => `\`${item}\``).join(', ') : 'none');

export async function probe(env: Env, sleep: (ms: number) => Promise<void>): Promise<CheckResult> {
  const adminKey = required(env, 'KUBIYA_ADMIN_API_KEY');
  const base = kubiyaBase(env);
  const admin = `UserKey ${adminKey}`;
  const attempts = Number(env['CANARY_CHECK_ATTEMPTS'] ?? '6');
  const tag = `${env['GITHUB_RUN_ID'] ?? 'local'}-${Math.random().toString(36).slice(2, 8)}`;
  const prefix = `api-key-action-canary:${tag}:`;
  const lines: string[] = [`### Kubiya API probe (\`${base}\`)`, ''];
  const verdicts: Verdict[] = [];
  const verdict = (assumption: string, state: Verdict['state'], note: string) => verdicts.push({ assumption, state, note });
  const keys: ProbeKey[] = [
    ...PROBE_LIFETIMES.map((l) => ({ label: l.label, name: `${prefix}${l.ttl}`, requestedMs: l.ms, send: 'both' as const, ttl: l.ttl })),
    ...ONE_FIELD_PROBES.map((l) => ({ label: l.label, name: `${prefix}${l.send}-${l.ttl}`, requestedMs: l.ms, send: l.send, ttl: l.ttl })),
  ];
  let identityPath = '/api/v1/users/self';
  let failure: string | undefined;
  try {
    // 1. identity
    let who: Awaited<ReturnType<typeof call>>;
    try {
      who = await call('GET', `${base}${identityPath}`, admin);
    } catch (error) {
      // No HTTP answer at all: there is nothing to compare, and verdicts of "differs" would send a reader after API
      // changes that are not there.
      return unreachable(base, error);
    }
    if (who.status === 404) {
      identityPath = '/api/v1/users/current';
      who = await call('GET', `${base}${identityPath}`, admin);
    }
    lines.push(
      `- identity: \`GET ${identityPath}\` answered ${who.status}; fields: ${list(isObject(who.body) ? Object.keys(who.body).sort() : [])}`,
    );
    verdict(
      ASSUMPTION.identity,
      who.status === 200 && identityPath.endsWith('/self') ? 'holds' : 'differs',
      `answered ${who.status} at \`${identityPath}\``,
    );
    if (who.status !== 200) throw new Error(`admin key not accepted (${who.status}); nothing was minted`);

    // 2. mint
    for (const key of keys) {
      const sentAt = Date.now();
      const body: Json = { name: key.name, description: 'kubiya/api-key-action canary probe; revoked by the probe before it exits' };
      if (key.send !== 'ttl') body['expires_at'] = new Date(sentAt + key.requestedMs).toISOString();
      if (key.send !== 'expires_at') body['ttl'] = key.ttl;
      try {
        const created = await call('POST', `${base}/api/v1/auth/keys`, admin, body);
        key.status = created.status;
        if (created.status >= 200 && created.status < 300) readCreate(key, created.body, sentAt);
        else if (created.status >= 500) key.unknown = true;
        else key.refusal = errorText(created.body).slice(0, 200);
      } catch (error) {
        key.unknown = true;
        key.refusal = `no answer (${(error as Error).name})`;
      }
    }

    // 3. list
    const listed = await listKeys(env);
    const fields = [...new Set(listed.keys.flatMap((key) => key.fields))].sort();
    const times = [...new Set(listed.keys.flatMap((key) => key.timestamps))].sort();
    const unnamed = listed.keys.filter((key) => !key.name || !key.id).length;
    lines.push(
      `- list: entries under \`${listed.wrapper}\`, ${listed.pages} page(s), ${listed.keys.length} entries; paging fields: ${list(listed.pagingFields)}`,
      `- list entry fields: ${list(fields)}`,
      `- list timestamps: ${list(times)}`,
      `- list entries without an id or a name: ${unnamed}; not objects: ${listed.junk}; listed as revoked: ${listed.keys.filter((k) => k.revoked).length}`,
    );
    verdict(ASSUMPTION.listShape, 'holds', `\`${listed.wrapper}\``);
    verdict(ASSUMPTION.timestamps, times.some((time) => time.endsWith(': other')) ? 'differs' : 'holds', list(times));
    for (const key of keys) {
      const found = key.id
        ? listed.keys.find((candidate) => candidate.id === key.id)
        : listed.keys.find((candidate) => candidate.name === key.name);
      if (!key.id && found?.id) key.id = found.id;
      if (key.status !== undefined && key.status < 300)
        key.afterListed = found ? (found.name === key.name ? 'listed by name' : 'listed, another name') : 'not listed';
    }
    const created = keys.filter((key) => key.token);
    verdict(
      ASSUMPTION.listed,
      created.length === 0 ? 'unchecked' : created.every((key) => key.afterListed === 'listed by name') ? 'holds' : 'differs',
      created.map((key) => `${key.label}: ${key.afterListed}`).join('; ') || 'nothing created',
    );

    // 4. verify
    for (const key of created) key.verifyStatus = (await call('GET', `${base}${identityPath}`, `UserKey ${key.token}`)).status;
    verdict(
      ASSUMPTION.authenticates,
      created.length === 0 ? 'unchecked' : created.every((key) => key.verifyStatus === 200) ? 'holds' : 'differs',
      created.map((key) => `${key.label}: ${key.verifyStatus}`).join('; ') || 'nothing created',
    );
  } catch (error) {
    failure = (error as Error).message;
  } finally {
    // 5. revoke everything minted, whatever failed; keys whose create had no usable answer are found by name.
    try {
      if (keys.some((key) => !key.id && (key.unknown || key.token || (key.status !== undefined && key.status < 300)))) {
        const listed = await listKeys(env);
        for (const key of keys) key.id ??= listed.keys.find((candidate) => candidate.name === key.name && !candidate.revoked)?.id;
      }
    } catch (error) {
      failure ??= `finding keys by name: ${(error as Error).message}`;
    }
    for (const key of keys.filter((candidate) => candidate.id)) {
      try {
        key.revokeStatus = (await call('DELETE', `${base}/api/v1/auth/keys/${encodeURIComponent(key.id!)}`, admin)).status;
      } catch (error) {
        failure ??= `revoking: ${(error as Error).message}`;
      }
    }
  }

  // 6. confirm the revocations
  const revoked = keys.filter((key) => key.revokeStatus !== undefined && key.revokeStatus < 300);
  for (let attempt = 1; revoked.length > 0; attempt++) {
    for (const key of revoked.filter((candidate) => candidate.token && candidate.afterStatus !== 401)) {
      key.afterStatus = (await call('GET', `${base}${identityPath}`, `UserKey ${key.token}`).catch(() => ({ status: 0 }))).status;
    }
    let listed: KeyList | undefined;
    try {
      listed = await listKeys(env);
    } catch {
      listed = undefined;
    }
    for (const key of revoked) {
      const found = listed?.keys.find((candidate) => candidate.id === key.id);
      key.afterListed = !listed
        ? 'list failed'
        : !found
          ? 'gone from the list'
          : found.revoked
            ? 'listed as revoked'
            : 'still listed as live';
    }
    const settled = revoked.every((key) => (!key.token || key.afterStatus === 401) && key.afterListed !== 'still listed as live');
    if (settled || attempt >= attempts) break;
    await sleep(5_000);
  }
  const unknownId = `00000000-0000-4000-8000-${Date.now().toString().padStart(12, '0').slice(-12)}`;
  const missing = await call('DELETE', `${base}/api/v1/auth/keys/${unknownId}`, admin).catch(() => ({ status: 0 }));

  // the report
  for (const key of keys) {
    const what =
      key.status === undefined
        ? 'not sent'
        : key.status < 300
          ? `created (${key.status}); server gave ${key.givenMs === undefined ? 'no readable expiry' : duration(key.givenMs)} by ${key.expirySource}`
          : `refused (${key.status}${key.refusal ? `: ${key.refusal}` : ''})`;
    lines.push(`- create, ${key.label}: ${what}`);
  }
  const first = keys.find((key) => key.bodyFields);
  if (first) {
    lines.push(
      `- create response fields: ${list(first.bodyFields ?? [])}; key in ${list(first.keyField ? [first.keyField] : [])}; id in ${list(first.idField ? [first.idField] : [])}`,
      `- JWT claims of a minted key: ${first.claims ? list(first.claims) : 'not a JWT'}`,
    );
  }
  for (const key of keys.filter((candidate) => candidate.revokeStatus !== undefined)) {
    lines.push(
      `- revoke, ${key.label}: DELETE answered ${key.revokeStatus}; then the key answered ${key.afterStatus ?? 'not checked'}, ${key.afterListed ?? ''}`,
    );
  }
  lines.push(`- DELETE of an unknown id answered ${missing.status}`);

  const both = keys.filter((key) => key.send === 'both');
  const accepted = both.filter((key) => key.status !== undefined && key.status < 300);
  verdict(
    ASSUMPTION.creates,
    accepted.length > 0 ? 'holds' : 'differs',
    both.map((key) => `${key.label}: ${key.status ?? 'not sent'}`).join('; '),
  );
  verdict(
    ASSUMPTION.lifetimes,
    both.some((key) => key.status === undefined) ? 'unchecked' : accepted.length === both.length ? 'holds' : 'differs',
    `accepted: ${accepted.map((key) => key.label).join(', ') || 'none'}; refused: ${
      both
        .filter((key) => !accepted.includes(key))
        .map((key) => key.label)
        .join(', ') || 'none'
    }`,
  );
  const honoured = accepted.filter((key) => key.givenMs !== undefined && Math.abs(key.givenMs - key.requestedMs) <= EXPIRY_TOLERANCE_MS);
  verdict(
    ASSUMPTION.honoured,
    accepted.length === 0 ? 'unchecked' : honoured.length === accepted.length ? 'holds' : 'differs',
    accepted.map((key) => `${key.label} → ${key.givenMs === undefined ? 'unknown' : duration(key.givenMs)}`).join('; ') ||
      'nothing created',
  );
  for (const key of keys.filter((candidate) => candidate.send !== 'both')) {
    const read = key.givenMs !== undefined && Math.abs(key.givenMs - key.requestedMs) <= EXPIRY_TOLERANCE_MS;
    verdict(
      oneField(key.send),
      key.status === undefined || key.status >= 300 ? 'unchecked' : read ? 'holds' : 'differs',
      key.status === undefined
        ? 'not sent'
        : key.status >= 300
          ? `refused (${key.status})`
          : `asked ${duration(key.requestedMs)}, got ${key.givenMs === undefined ? 'unknown' : duration(key.givenMs)}`,
    );
  }
  verdict(
    ASSUMPTION.response,
    !first ? 'unchecked' : first.keyField && first.idField && first.expirySource !== 'none' ? 'holds' : 'differs',
    first ? `key: ${first.keyField ?? 'none'}, id: ${first.idField ?? 'none'}, expiry: ${first.expirySource}` : 'nothing created',
  );
  verdict(
    ASSUMPTION.revokes,
    revoked.length === 0
      ? 'unchecked'
      : revoked.every((key) => (!key.token || key.afterStatus === 401) && key.afterListed !== 'still listed as live')
        ? 'holds'
        : 'differs',
    revoked.map((key) => `${key.label}: ${key.afterStatus ?? '-'}, ${key.afterListed}`).join('; ') || 'nothing revoked',
  );
  verdict(
    ASSUMPTION.missing,
    missing.status === 0 ? 'unchecked' : missing.status === 404 ? 'holds' : 'differs',
    missing.status === 0 ? 'no answer' : `answered ${missing.status}`,
  );
  const leftover = keys.filter((key) => (key.token || key.unknown) && !(key.revokeStatus !== undefined && key.revokeStatus < 300));
  verdict(
    ASSUMPTION.cleaned,
    leftover.length === 0 ? 'holds' : 'differs',
    leftover.length === 0 ? 'yes' : `revoke by hand the keys named ${leftover.map((key) => key.name).join(', ')}`,
  );

  lines.push('', '| assumption | verdict | seen |', '|---|---|---|');
  const mark = { holds: '✅ holds', differs: '❌ differs', unchecked: '➖ not checked' } as const;
  for (const v of verdicts) lines.push(`| ${v.assumption} | ${mark[v.state]} | ${v.note.replace(/\|/g, '\\|')} |`);
  if (failure) lines.push('', `The probe stopped early: ${failure}`);
  lines.push('', 'What the action assumes, and what to do when a verdict differs: docs/kubiya-api.md.');
  return { ok: !failure && verdicts.every((v) => v.state !== 'differs'), lines: scrubbed(lines, keys, adminKey) };
}

/** The report when the host gave no HTTP answer: which host, what error, and every assumption not checked. */
function unreachable(base: string, error: unknown): CheckResult {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const reason = cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
  const host = URL.canParse(base) ? new URL(base).host : base;
  return {
    ok: false,
    lines: [
      `### Kubiya API probe (\`${base}\`)`,
      '',
      `The probe could not reach ${host}: ${reason}. No HTTP answer, so nothing was checked and nothing was minted; ` +
        'check KUBIYA_API_URL and the network (proxy, DNS, firewall), then run it again.',
      '',
      '| assumption | verdict | seen |',
      '|---|---|---|',
      ...ALL_ASSUMPTIONS.map((assumption) => `| ${assumption} | ➖ not checked | ${host} not reached |`),
    ],
    verdict: `❌ nothing checked: ${host} could not be reached (${reason})`,
  };
}

/** Belt and braces: no key reaches the report even if a server echoed one into an error text. */
function scrubbed(lines: string[], keys: ProbeKey[], adminKey: string): string[] {
  const secrets = [adminKey, ...keys.flatMap((key) => (key.token ? [key.token] : [])), ...keys.flatMap((key) => (key.id ? [key.id] : []))];
  return lines.map((line) => secrets.reduce((text, secret) => text.split(secret).join('***'), line));
}

export async function runCheck(
  check: string,
  args: string[],
  env: Env,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): Promise<CheckResult> {
  switch (check) {
    case '':
    case 'probe':
      return probe(env, sleep);
    case 'authenticates':
      return authenticates(env);
    case 'listed':
      return listed(env, args);
    case 'revoked':
      return revoked(env, args, sleep);
    case 'slot':
      return slot(env, args);
    case 'secret-updated':
      return secretUpdated(env, args);
    default:
      throw new Error(`unknown check '${check}': use probe (the default), authenticates, listed, revoked, slot or secret-updated`);
  }
}

export function formatResult(result: CheckResult): string {
  if (result.lines[0]?.startsWith('### '))
    return `${result.lines.join('\n')}\n\n${result.verdict ?? (result.ok ? '✅ every assumption holds' : '❌ not every assumption holds')}\n`;
  const [first = '', ...rest] = result.lines;
  return [`- ${result.ok ? '✅' : '❌'} ${first}`, ...rest].join('\n') + '\n';
}

async function main(): Promise<void> {
  const [check = '', ...args] = process.argv.slice(2);
  let result: CheckResult;
  try {
    result = await runCheck(check, args, process.env);
  } catch (error) {
    result = { ok: false, lines: [`${check}: ${error instanceof Error ? error.message : String(error)}`] };
  }
  const text = formatResult(result);
  process.stdout.write(text);
  const summary = process.env['GITHUB_STEP_SUMMARY'];
  if (summary) appendFileSync(summary, text);
  process.exitCode = result.ok ? 0 : 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
