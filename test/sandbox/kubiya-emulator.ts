// Emulator of the Kubiya platform API surface this action uses (see docs/kubiya-api.md):
// identity, and creating, listing and revoking API keys, with the response shapes left open
// by the public docs selectable through `options`. The defaults are the shapes the docs show.
import { randomUUID } from 'node:crypto';
import { HttpEmulator } from './http-emulator.ts';
import type { EmulatedRequest, EmulatedResponse, HttpEmulatorOptions } from './http-emulator.ts';
import { KubiyaTokenSigner } from './kubiya-token.ts';
import type { KubiyaKeyForm } from './kubiya-token.ts';

export { decodeKubiyaToken } from './kubiya-token.ts';
export type { KubiyaKeyForm, KubiyaTokenClaims } from './kubiya-token.ts';

/** `no-expiry`: id and key but no `expires_at` (the expiry is only in the JWT's `exp`). */
export type CreateResponseShape = 'flat' | 'nested' | 'jwt-only' | 'no-key' | 'no-expiry';
/** `unknown`: the keys under a wrapper no docs name (`{"records": [...], "count": N}`). */
export type ListShape = 'keys' | 'array' | 'items' | 'data' | 'api_keys' | 'results' | 'tokens' | 'unknown';
/**
 * How a paged list (`pageSize` set) says where the next page is:
 * - `all`: `page`, `page_size`, `total`, `next` (a link, see `pageLinks`) and `has_more` together;
 * - `next` / `next_page` / `next_url`: only that field (a link or a page number, see `pageLinks`);
 * - `has-more`: `page` and `has_more`; `page-total`: `page` and `total`; `page-total-limit`: also `per_page`;
 * - `offset`: `offset`, `limit`, `total`, read from `?offset=&limit=`;
 * - `cursor` / `next_cursor`: an opaque cursor in that field, read from `?cursor=`;
 * - `ignores-page`: says `has_more: true` but answers page 1 whatever is asked (a server that would loop);
 * - `stuck-cursor`: always gives the same `next_cursor`.
 */
export type PagingForm =
  | 'all'
  | 'next'
  | 'next_page'
  | 'next_url'
  | 'has-more'
  | 'page-total'
  | 'page-total-limit'
  | 'offset'
  | 'cursor'
  | 'next_cursor'
  | 'ignores-page'
  | 'stuck-cursor';
/** How listed times are written: ISO-8601 with `Z`, ISO-8601 without a zone (UTC), epoch seconds, epoch milliseconds. */
export type TimestampForm = 'iso' | 'zoneless' | 'epoch-seconds' | 'epoch-ms';
/**
 * Which lifetime a create gives the key: `expires_at` (default) or `ttl` of the request; `ignore`: always
 * `defaultLifetimeMs` (1 year); `round-up-day`: the requested one (`expires_at`) rounded up to whole days.
 */
export type LifetimePolicy = 'expires_at' | 'ttl' | 'ignore' | 'round-up-day';

/** Behaviour switches; all of them can be changed after start through `emulator.options`. */
export interface KubiyaBehaviour {
  /** false → GET /api/v1/users/self answers 404, so clients fall back to /users/current. */
  selfEndpoint: boolean;
  createResponseShape: CreateResponseShape;
  listShape: ListShape;
  /** When set, GET /api/v1/auth/keys is paged (`?page=N`, 1-based). */
  pageSize: number | undefined;
  /**
   * 'absolute' → `next` is `http://127.0.0.1:PORT/api/v1/auth/keys?page=N`; 'relative' → `/api/v1/auth/keys?page=N`;
   * 'number' → `N`; 'other-origin' → `http://localhost:PORT/...` (another origin that serves the same list).
   */
  pageLinks: 'absolute' | 'relative' | 'number' | 'other-origin';
  paging: PagingForm;
  /**
   * The paged list opens with this many pages that hold no entries but say more follow, in every paging form (as a
   * server that cuts a page before it filters it serves a page of filtered-out rows); the keys come after them.
   * `total` counts those rows where a page size comes with it (`all`, `page-total-limit`, `offset`), and only the
   * entries in `page-total`, so each form's arithmetic holds.
   */
  emptyPagesFirst: number;
  /** true → revoked keys are listed with status 'revoked' and revoked_at set. */
  listRevoked: boolean;
  listOrder: 'newest-first' | 'oldest-first';
  /**
   * When set, a sustained limit of this many requests per second: a token bucket that holds this many and gains one
   * every 1/N s; a request finding it empty is answered 429 with `Retry-After: 1` (and takes no token).
   */
  rateLimitPerSecond: number | undefined;
  timestamps: TimestampForm;
  /** Raw entries listed after the keys (on the last page): entries without an id or name, junk. */
  extraListEntries: unknown[];
  lifetime: LifetimePolicy;
  /** A create asking for less than this answers 422 (a server that only offers the web UI's presets). */
  minLifetimeMs: number | undefined;
  /** 'missing-404' / 'missing-405': the key endpoints are not there (a base URL that does not serve them). */
  keyEndpoints: 'present' | 'missing-404' | 'missing-405';
  /** Fields the key list leaves out of every entry (a server that lists no descriptions, no expiry…). */
  omitListFields: ('description' | 'expires_at' | 'created_at')[];
}

export interface KubiyaEmulatorOptions extends HttpEmulatorOptions, Partial<KubiyaBehaviour> {}

export interface KubiyaUser {
  uuid: string;
  email: string;
  name: string;
  org: string;
  canManageKeys: boolean;
}

/** Live record: tests may edit it (e.g. move `expires_at` into the past). */
export interface KubiyaKey {
  id: string;
  name: string;
  description: string;
  created_at: string;
  expires_at: string;
  last_used: string | null;
  revoked_at: string | null;
  userUuid: string;
  org: string;
  token: string;
  /** How `token` is written (see KubiyaKeyForm); 'jwt' unless the key was issued otherwise. */
  form: KubiyaKeyForm;
}

export type KubiyaKeyStatus = 'active' | 'expired' | 'revoked';

export interface SeedKeyOptions {
  userEmail?: string;
  userUuid?: string;
  name: string;
  description?: string;
  /** Default: now (strictly after every key created before). */
  createdAt?: Date;
  /** Default: createdAt + 30 days. */
  expiresAt?: Date;
  lastUsed?: Date;
  revoked?: boolean;
  /** Default 'jwt' (with `exp`, `token_id`, `token_name`). */
  form?: KubiyaKeyForm;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const TTL = /^(\d+)([dhm])$/;
const TTL_UNIT_MS = { d: DAY_MS, h: 3_600_000, m: 60_000 } as const;
/** What the server gives when it ignores the requested lifetime: the web UI's default, one year. */
const DEFAULT_LIFETIME_MS = 365 * DAY_MS;
const KEYS_PATH = '/api/v1/auth/keys';
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/;

const unauthorized: EmulatedResponse = {
  status: 401,
  body: { detail: { error: 'unauthorized', message: 'Invalid or expired API key', hint: 'Check the API key' } },
};
const cannotManageKeys: EmulatedResponse = {
  status: 403,
  body: { detail: 'You do not have permission to manage API keys' },
};
const keyNotFound: EmulatedResponse = { status: 404, body: { detail: 'API key not found' } };
const notFound: EmulatedResponse = { status: 404, body: { detail: 'Not Found' } };
const methodNotAllowed: EmulatedResponse = { status: 405, body: { detail: 'Method Not Allowed' } };

interface ValidationError {
  loc: (string | number)[];
  msg: string;
  type: string;
}

type Route = { name: 'identity' | 'keys'; methods: string[] } | { name: 'key'; methods: string[]; id: string };

function unprocessable(errors: ValidationError[]): EmulatedResponse {
  return { status: 422, body: { detail: errors } };
}

export class KubiyaEmulator extends HttpEmulator {
  readonly options: KubiyaBehaviour;
  readonly #signer = new KubiyaTokenSigner();
  readonly #users = new Map<string, KubiyaUser>();
  readonly #keys = new Map<string, KubiyaKey>();
  readonly #keyIdByToken = new Map<string, string>();
  #lastCreatedMs = 0;

  constructor(options: KubiyaEmulatorOptions = {}) {
    super(options);
    this.options = {
      selfEndpoint: options.selfEndpoint ?? true,
      createResponseShape: options.createResponseShape ?? 'flat',
      listShape: options.listShape ?? 'keys',
      pageSize: options.pageSize,
      pageLinks: options.pageLinks ?? 'absolute',
      paging: options.paging ?? 'all',
      emptyPagesFirst: options.emptyPagesFirst ?? 0,
      listRevoked: options.listRevoked ?? false,
      listOrder: options.listOrder ?? 'newest-first',
      rateLimitPerSecond: options.rateLimitPerSecond,
      timestamps: options.timestamps ?? 'iso',
      extraListEntries: options.extraListEntries ?? [],
      lifetime: options.lifetime ?? 'expires_at',
      minLifetimeMs: options.minLifetimeMs,
      keyEndpoints: options.keyEndpoints ?? 'present',
      omitListFields: options.omitListFields ?? [],
    };
  }

  // ---- seeding --------------------------------------------------------------------------

  /**
   * Creates the user and one manual key `manual:<email>` (the admin key of a test) valid for a year, or until
   * `keyExpiresAt` (which may be past: the key then answers 401 at once), written as `keyForm`; returns its token.
   */
  addUser(user: { email: string; org: string; name?: string; canManageKeys?: boolean; keyExpiresAt?: Date; keyForm?: KubiyaKeyForm }): {
    uuid: string;
    apiKey: string;
    keyId: string;
  } {
    if (this.userByEmail(user.email)) throw new Error(`user ${user.email} already exists`);
    const record: KubiyaUser = {
      uuid: randomUUID(),
      email: user.email,
      name: user.name ?? user.email.split('@')[0] ?? user.email,
      org: user.org,
      canManageKeys: user.canManageKeys ?? true,
    };
    this.#users.set(record.uuid, record);
    const created = this.#nextCreatedAt();
    const key = this.#createKey(record, {
      name: `manual:${user.email}`,
      description: 'created in the Kubiya web app',
      createdAt: created,
      expiresAt: user.keyExpiresAt ?? new Date(created.getTime() + 365 * DAY_MS),
      form: user.keyForm,
    });
    return { uuid: record.uuid, apiKey: key.token, keyId: key.id };
  }

  /** A pre-existing key (backdated, expired, revoked, a look-alike of another repo's…). */
  seedKey(seed: SeedKeyOptions): { id: string; token: string } {
    const user =
      seed.userUuid !== undefined
        ? this.#users.get(seed.userUuid)
        : seed.userEmail !== undefined
          ? this.userByEmail(seed.userEmail)
          : undefined;
    if (!user) throw new Error(`seedKey: unknown user ${seed.userUuid ?? seed.userEmail ?? '(none given)'}`);
    const createdAt = seed.createdAt ?? this.#nextCreatedAt();
    const key = this.#createKey(user, {
      name: seed.name,
      description: seed.description ?? '',
      createdAt,
      expiresAt: seed.expiresAt ?? new Date(createdAt.getTime() + 30 * DAY_MS),
      form: seed.form,
    });
    if (seed.lastUsed) key.last_used = seed.lastUsed.toISOString();
    if (seed.revoked) key.revoked_at = new Date().toISOString();
    return { id: key.id, token: key.token };
  }

  /** Out-of-band revocation (someone used the web UI). Returns false when unknown or already revoked. */
  revokeKey(id: string): boolean {
    const key = this.#keys.get(id);
    if (!key || key.revoked_at !== null) return false;
    key.revoked_at = new Date().toISOString();
    return true;
  }

  /**
   * Time passes for the keys: every key's timestamps move back by `ms`, as if they had been made that much
   * earlier. A weekly schedule's second rotation sees the first key a week old, as it would on GitHub. Once a
   * key's moved `expires_at` is past, it answers 401 everywhere. A key's JWT `exp` was signed when it was issued
   * and does not move: after passTime it lies `ms` later than the listed `expires_at`. A test of an expiry read
   * from the JWT issues the key with the expiry it needs (`keyExpiresAt`, `expiresAt`) rather than passing time.
   */
  passTime(ms: number): void {
    const back = (iso: string) => new Date(Date.parse(iso) - ms).toISOString();
    for (const key of this.#keys.values()) {
      key.created_at = back(key.created_at);
      key.expires_at = back(key.expires_at);
      if (key.last_used !== null) key.last_used = back(key.last_used);
      if (key.revoked_at !== null) key.revoked_at = back(key.revoked_at);
    }
    this.#lastCreatedMs -= ms;
  }

  // ---- introspection --------------------------------------------------------------------

  /** Every key ever created, revoked ones included, in creation order. */
  keys(): KubiyaKey[] {
    return [...this.#keys.values()];
  }

  keyById(id: string): KubiyaKey | undefined {
    return this.#keys.get(id);
  }

  keyByToken(token: string): KubiyaKey | undefined {
    const id = this.#keyIdByToken.get(token);
    return id === undefined ? undefined : this.#keys.get(id);
  }

  keyStatus(key: KubiyaKey): KubiyaKeyStatus {
    if (key.revoked_at !== null) return 'revoked';
    return Date.parse(key.expires_at) <= Date.now() ? 'expired' : 'active';
  }

  isValid(token: string): boolean {
    const key = this.keyByToken(token);
    return key !== undefined && (key.form === 'opaque' || this.#signer.verify(token)) && this.keyStatus(key) === 'active';
  }

  /** Neither revoked nor expired. */
  activeKeys(): KubiyaKey[] {
    return this.keys().filter((key) => this.keyStatus(key) === 'active');
  }

  users(): KubiyaUser[] {
    return [...this.#users.values()];
  }

  userByEmail(email: string): KubiyaUser | undefined {
    return this.users().find((user) => user.email === email);
  }

  // ---- HTTP -----------------------------------------------------------------------------

  protected override handle(req: EmulatedRequest): EmulatedResponse {
    const limited = this.#rateLimit();
    if (limited) return limited;
    const route = this.#route(req.path);
    if (route === undefined) return notFound;
    if (route.name !== 'identity' && this.options.keyEndpoints !== 'present') {
      return this.options.keyEndpoints === 'missing-404' ? notFound : methodNotAllowed;
    }
    if (!route.methods.includes(req.method)) return methodNotAllowed;
    const caller = this.#authenticate(req);
    if (!caller) return unauthorized;
    switch (route.name) {
      case 'identity':
        return { status: 200, body: { uuid: caller.uuid, email: caller.email, name: caller.name, org: caller.org } };
      case 'keys':
        return req.method === 'POST' ? this.#createFromRequest(req, caller) : this.#list(req, caller);
      case 'key':
        return this.#revoke(route.id, caller);
    }
  }

  /** The rate limit's token bucket: tokens left, as of `at` (epoch ms). */
  #bucket = { tokens: Number.POSITIVE_INFINITY, at: 0 };
  /** Requests answered 429 by the rate limit. */
  rateLimited = 0;

  #rateLimit(): EmulatedResponse | undefined {
    const limit = this.options.rateLimitPerSecond;
    if (limit === undefined) return undefined;
    const now = Date.now();
    const tokens = Math.min(limit, this.#bucket.tokens + ((now - this.#bucket.at) * limit) / 1000);
    if (tokens >= 1) {
      this.#bucket = { tokens: tokens - 1, at: now };
      return undefined;
    }
    this.#bucket = { tokens, at: now };
    this.rateLimited += 1;
    return {
      status: 429,
      headers: { 'retry-after': '1' },
      body: { detail: `Rate limit exceeded: ${limit} requests per second` },
      fault: 'rate limited',
    };
  }

  #route(path: string): Route | undefined {
    if (path === '/api/v1/users/current' || (path === '/api/v1/users/self' && this.options.selfEndpoint)) {
      return { name: 'identity', methods: ['GET'] };
    }
    if (path === KEYS_PATH) return { name: 'keys', methods: ['GET', 'POST'] };
    const match = /^\/api\/v1\/auth\/keys\/([^/]+)$/.exec(path);
    if (match?.[1] === undefined) return undefined;
    try {
      return { name: 'key', methods: ['DELETE'], id: decodeURIComponent(match[1]) };
    } catch {
      return undefined;
    }
  }

  #authenticate(req: EmulatedRequest): KubiyaUser | undefined {
    const token = /^UserKey (\S+)$/.exec(req.headers['authorization'] ?? '')?.[1];
    if (token === undefined || !this.isValid(token)) return undefined;
    const key = this.keyByToken(token);
    if (!key) return undefined;
    key.last_used = new Date().toISOString();
    return this.#users.get(key.userUuid);
  }

  #createFromRequest(req: EmulatedRequest, caller: KubiyaUser): EmulatedResponse {
    if (!caller.canManageKeys) return cannotManageKeys;
    let body: unknown;
    try {
      body = req.json();
    } catch {
      return unprocessable([{ loc: ['body'], msg: 'JSON decode error', type: 'json_invalid' }]);
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return unprocessable([{ loc: ['body'], msg: 'Input should be a valid dictionary', type: 'dict_type' }]);
    }
    const { name, description, expires_at: expiresAt, ttl } = body as Record<string, unknown>;
    const errors: ValidationError[] = [];
    if (name === undefined) errors.push({ loc: ['body', 'name'], msg: 'Field required', type: 'missing' });
    else if (typeof name !== 'string') errors.push({ loc: ['body', 'name'], msg: 'Input should be a valid string', type: 'string_type' });
    else if (name.trim() === '')
      errors.push({ loc: ['body', 'name'], msg: 'String should have at least 1 character', type: 'string_too_short' });
    if (description !== undefined && typeof description !== 'string') {
      errors.push({ loc: ['body', 'description'], msg: 'Input should be a valid string', type: 'string_type' });
    }
    const ttlMatch = typeof ttl === 'string' ? TTL.exec(ttl) : null;
    if (ttl !== undefined && !ttlMatch) {
      errors.push({ loc: ['body', 'ttl'], msg: "Value error, ttl must look like '30d', '12h' or '90m'", type: 'value_error' });
    }
    const byTtl = ttlMatch ? Number(ttlMatch[1]) * TTL_UNIT_MS[ttlMatch[2] as keyof typeof TTL_UNIT_MS] : undefined;
    if (expiresAt === undefined) {
      if (byTtl === undefined) errors.push({ loc: ['body', 'expires_at'], msg: 'Field required', type: 'missing' });
    } else if (typeof expiresAt !== 'string' || !ISO_8601.test(expiresAt) || Number.isNaN(Date.parse(expiresAt))) {
      errors.push({ loc: ['body', 'expires_at'], msg: 'Input should be a valid ISO-8601 datetime', type: 'value_error' });
    } else if (Date.parse(expiresAt) <= Date.now()) {
      errors.push({ loc: ['body', 'expires_at'], msg: 'Value error, expires_at must be in the future', type: 'value_error' });
    }
    if (errors.length > 0 || typeof name !== 'string') return unprocessable(errors);
    const now = Date.now();
    const requestedMs = typeof expiresAt === 'string' ? Date.parse(expiresAt) - now : byTtl!;
    const { minLifetimeMs, lifetime } = this.options;
    if (minLifetimeMs !== undefined && requestedMs < minLifetimeMs - 60_000) {
      return unprocessable([
        {
          loc: ['body', typeof expiresAt === 'string' ? 'expires_at' : 'ttl'],
          msg: 'Value error, the expiration must be one of 24 hours, 7 days, 30 days, 90 days, 180 days or 1 year',
          type: 'value_error',
        },
      ]);
    }
    const givenMs =
      lifetime === 'ignore'
        ? DEFAULT_LIFETIME_MS
        : lifetime === 'ttl'
          ? (byTtl ?? DEFAULT_LIFETIME_MS)
          : lifetime === 'round-up-day'
            ? Math.ceil(requestedMs / DAY_MS) * DAY_MS
            : requestedMs;
    const createdAt = this.#nextCreatedAt();
    const key = this.#createKey(caller, {
      name,
      description: typeof description === 'string' ? description : '',
      createdAt,
      expiresAt: new Date((lifetime === 'expires_at' && typeof expiresAt === 'string' ? now : createdAt.getTime()) + givenMs),
    });
    return { status: 201, body: this.#createResponseBody(key) };
  }

  #createResponseBody(key: KubiyaKey): unknown {
    switch (this.options.createResponseShape) {
      case 'flat':
        return {
          id: key.id,
          name: key.name,
          description: key.description,
          created_at: key.created_at,
          expires_at: key.expires_at,
          key: key.token,
        };
      case 'nested':
        return {
          data: { uuid: key.id, name: key.name, created_at: key.created_at, expires_at: key.expires_at, token: key.token },
        };
      case 'jwt-only':
        return { api_key: key.token };
      case 'no-key':
        return { id: key.id, name: key.name };
      case 'no-expiry':
        return { id: key.id, name: key.name, key: key.token };
    }
  }

  #time(iso: string | null): string | number | null {
    if (iso === null) return null;
    switch (this.options.timestamps) {
      case 'iso':
        return iso;
      case 'zoneless':
        return iso.replace(/Z$/, '');
      case 'epoch-seconds':
        return Math.floor(Date.parse(iso) / 1000);
      case 'epoch-ms':
        return Date.parse(iso);
    }
  }

  #list(req: EmulatedRequest, caller: KubiyaUser): EmulatedResponse {
    // Sorted on numbers, and only the page served is turned into entries: lists of 50,000 keys stay fast.
    const listed = this.keys()
      .filter((key) => key.org === caller.org && (this.options.listRevoked || key.revoked_at === null))
      .map((key) => ({ key, at: Date.parse(key.created_at) }))
      .sort((a, b) => a.at - b.at)
      .map(({ key }) => key);
    if (this.options.listOrder === 'newest-first') listed.reverse();
    const omitted = new Set<string>(this.options.omitListFields);
    const entry = (key: KubiyaKey): unknown => {
      const fields: Record<string, unknown> = {
        id: key.id,
        name: key.name,
        description: key.description,
        created_at: this.#time(key.created_at),
        last_used: this.#time(key.last_used),
        expires_at: this.#time(key.expires_at),
        status: this.keyStatus(key),
        revoked_at: this.#time(key.revoked_at),
      };
      for (const field of omitted) delete fields[field];
      return fields;
    };
    const extra = this.options.extraListEntries;
    const total = listed.length + extra.length;
    const { pageSize, listShape, pageLinks, paging, emptyPagesFirst } = this.options;
    // Rows before the keys that no page shows: the empty pages that open the list.
    const hidden = pageSize === undefined ? 0 : emptyPagesFirst * pageSize;
    const rows = total + hidden;
    const slice = (from: number, to: number): unknown[] => {
      const [start, end] = [Math.max(0, from - hidden), Math.max(0, to - hidden)];
      return [...listed.slice(start, end).map(entry), ...extra.slice(Math.max(0, start - listed.length), Math.max(0, end - listed.length))];
    };
    const wrap = (items: unknown[], fields: Record<string, unknown> = {}): unknown => {
      if (listShape === 'unknown') return { records: items, count: items.length, ...fields };
      if (listShape === 'array') return pageSize === undefined ? items : { keys: items, ...fields };
      return { [listShape]: items, ...fields };
    };
    if (pageSize === undefined) return { status: 200, body: wrap(slice(0, total)) };

    if (paging === 'offset') {
      const offset = Number(req.query.get('offset') ?? '0');
      const limit = Number(req.query.get('limit') ?? String(pageSize));
      if (!Number.isInteger(offset) || offset < 0 || !Number.isInteger(limit) || limit < 1) {
        return unprocessable([{ loc: ['query', 'offset'], msg: 'Input should be a non-negative integer', type: 'int_parsing' }]);
      }
      return { status: 200, body: wrap(slice(offset, offset + limit), { offset, limit, total: rows }) };
    }
    if (paging === 'cursor' || paging === 'next_cursor' || paging === 'stuck-cursor') {
      const cursor = req.query.get('cursor');
      const start =
        cursor === null
          ? 0
          : Number(
              Buffer.from(cursor, 'base64url')
                .toString('utf8')
                .replace(/^after:/, ''),
            );
      if (!Number.isInteger(start) || start < 0) {
        return unprocessable([{ loc: ['query', 'cursor'], msg: 'Invalid cursor', type: 'value_error' }]);
      }
      const end = start + pageSize;
      const next =
        paging === 'stuck-cursor' ? Buffer.from('after:1').toString('base64url') : Buffer.from(`after:${end}`).toString('base64url');
      const field = paging === 'cursor' ? 'cursor' : 'next_cursor';
      return { status: 200, body: wrap(slice(start, end), { [field]: end < rows ? next : null }) };
    }

    const pageParam = req.query.get('page') ?? '1';
    if (!/^[1-9]\d*$/.test(pageParam)) {
      return unprocessable([{ loc: ['query', 'page'], msg: 'Input should be a positive integer', type: 'int_parsing' }]);
    }
    const page = paging === 'ignores-page' ? 1 : Number(pageParam);
    const start = (page - 1) * pageSize;
    const hasMore = start + pageSize < rows;
    const items = slice(start, start + pageSize);
    const nextPath = `${KEYS_PATH}?page=${page + 1}`;
    const link =
      pageLinks === 'absolute'
        ? `${this.url}${nextPath}`
        : pageLinks === 'relative'
          ? nextPath
          : pageLinks === 'number'
            ? page + 1
            : `${this.url.replace('127.0.0.1', 'localhost')}${nextPath}`;
    const next = hasMore ? link : null;
    switch (paging) {
      case 'all':
        return { status: 200, body: wrap(items, { page, page_size: pageSize, total: rows, next, has_more: hasMore }) };
      case 'next':
      case 'next_page':
      case 'next_url':
        return { status: 200, body: wrap(items, { [paging]: next }) };
      case 'has-more':
        return { status: 200, body: wrap(items, { page, has_more: hasMore }) };
      case 'ignores-page':
        return { status: 200, body: wrap(items, { page: Number(pageParam), has_more: true }) };
      case 'page-total':
        return { status: 200, body: wrap(items, { page, total }) };
      case 'page-total-limit':
        return { status: 200, body: wrap(items, { page, per_page: pageSize, total: rows }) };
    }
  }

  #revoke(id: string, caller: KubiyaUser): EmulatedResponse {
    if (!caller.canManageKeys) return cannotManageKeys;
    const key = this.#keys.get(id);
    if (!key) return keyNotFound;
    if (key.org !== caller.org) {
      return { status: 403, body: { detail: 'You do not have permission to manage this API key' } };
    }
    if (key.revoked_at !== null) return keyNotFound;
    key.revoked_at = new Date().toISOString();
    return { status: 204 };
  }

  // ---- state ----------------------------------------------------------------------------

  /** Strictly increasing per emulator, so creation order never ties within a millisecond. */
  #nextCreatedAt(): Date {
    this.#lastCreatedMs = Math.max(Date.now(), this.#lastCreatedMs + 1);
    return new Date(this.#lastCreatedMs);
  }

  #createKey(
    user: KubiyaUser,
    spec: { name: string; description: string; createdAt: Date; expiresAt: Date; form?: KubiyaKeyForm | undefined },
  ): KubiyaKey {
    const id = randomUUID();
    const form = spec.form ?? 'jwt';
    const claims = {
      organization: user.org,
      email: user.email,
      token_id: id,
      token_name: spec.name,
      exp: Math.floor(spec.expiresAt.getTime() / 1000),
      iat: Math.floor(spec.createdAt.getTime() / 1000),
    };
    const token = this.#signer.issue(claims, form);
    const key: KubiyaKey = {
      id,
      name: spec.name,
      description: spec.description,
      created_at: spec.createdAt.toISOString(),
      expires_at: spec.expiresAt.toISOString(),
      last_used: null,
      revoked_at: null,
      userUuid: user.uuid,
      org: user.org,
      token,
      form,
    };
    this.#keys.set(id, key);
    this.#keyIdByToken.set(token, id);
    return key;
  }
}

export async function startKubiyaEmulator(options: KubiyaEmulatorOptions = {}): Promise<KubiyaEmulator> {
  return new KubiyaEmulator(options).listen();
}
