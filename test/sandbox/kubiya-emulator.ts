// Emulator of the Kubiya platform API surface this action uses (see shared/spec/KUBIYA-API.md):
// identity, and creating, listing and revoking API keys, with the response shapes left open
// by the public docs selectable through `options`.
import { randomUUID } from 'node:crypto';
import { HttpEmulator } from './http-emulator.ts';
import type { EmulatedRequest, EmulatedResponse, HttpEmulatorOptions } from './http-emulator.ts';
import { KubiyaTokenSigner } from './kubiya-token.ts';

export { decodeKubiyaToken } from './kubiya-token.ts';
export type { KubiyaTokenClaims } from './kubiya-token.ts';

export type CreateResponseShape = 'flat' | 'nested' | 'jwt-only' | 'no-key';
export type ListShape = 'keys' | 'array' | 'items' | 'data';

/** Behaviour switches; all of them can be changed after start through `emulator.options`. */
export interface KubiyaBehaviour {
  /** false → GET /api/v1/users/self answers 404, so clients fall back to /users/current. */
  selfEndpoint: boolean;
  createResponseShape: CreateResponseShape;
  listShape: ListShape;
  /** When set, GET /api/v1/auth/keys is paged (`?page=N`, 1-based). */
  pageSize: number | undefined;
  /** 'absolute' → `next` is `http://127.0.0.1:PORT/api/v1/auth/keys?page=N`; 'relative' → `/api/v1/auth/keys?page=N`. */
  pageLinks: 'absolute' | 'relative';
  /** true → revoked keys are listed with status 'revoked' and revoked_at set. */
  listRevoked: boolean;
  listOrder: 'newest-first' | 'oldest-first';
  /** When set, at most this many requests per second (fixed one-second windows); past it, 429 with Retry-After. */
  rateLimitPerSecond: number | undefined;
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
}

const DAY_MS = 24 * 60 * 60 * 1000;
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
      listRevoked: options.listRevoked ?? false,
      listOrder: options.listOrder ?? 'newest-first',
      rateLimitPerSecond: options.rateLimitPerSecond,
    };
  }

  // ---- seeding --------------------------------------------------------------------------

  /** Creates the user and one manual key `manual:<email>` valid for a year; returns its token. */
  addUser(user: { email: string; org: string; name?: string; canManageKeys?: boolean }): {
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
      expiresAt: new Date(created.getTime() + 365 * DAY_MS),
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
   * earlier. A weekly schedule's second rotation sees the first key a week old, as it would on GitHub.
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
    return key !== undefined && this.#signer.verify(token) && this.keyStatus(key) === 'active';
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

  /** The rate-limit window: its start (epoch s) and the requests served in it. */
  #window = { second: 0, served: 0 };
  /** Requests answered 429 by the rate limit. */
  rateLimited = 0;

  #rateLimit(): EmulatedResponse | undefined {
    const limit = this.options.rateLimitPerSecond;
    if (limit === undefined) return undefined;
    const now = Date.now();
    const second = Math.floor(now / 1000);
    if (second !== this.#window.second) this.#window = { second, served: 0 };
    if (++this.#window.served <= limit) return undefined;
    this.rateLimited += 1;
    const retryAfter = String(Math.max(1, Math.ceil((second + 1) * 1000 - now) / 1000));
    return {
      status: 429,
      headers: { 'retry-after': retryAfter },
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
    const { name, description, expires_at: expiresAt } = body as Record<string, unknown>;
    const errors: ValidationError[] = [];
    if (name === undefined) errors.push({ loc: ['body', 'name'], msg: 'Field required', type: 'missing' });
    else if (typeof name !== 'string') errors.push({ loc: ['body', 'name'], msg: 'Input should be a valid string', type: 'string_type' });
    else if (name.trim() === '')
      errors.push({ loc: ['body', 'name'], msg: 'String should have at least 1 character', type: 'string_too_short' });
    if (description !== undefined && typeof description !== 'string') {
      errors.push({ loc: ['body', 'description'], msg: 'Input should be a valid string', type: 'string_type' });
    }
    if (expiresAt === undefined) {
      errors.push({ loc: ['body', 'expires_at'], msg: 'Field required', type: 'missing' });
    } else if (typeof expiresAt !== 'string' || !ISO_8601.test(expiresAt) || Number.isNaN(Date.parse(expiresAt))) {
      errors.push({ loc: ['body', 'expires_at'], msg: 'Input should be a valid ISO-8601 datetime', type: 'value_error' });
    } else if (Date.parse(expiresAt) <= Date.now()) {
      errors.push({ loc: ['body', 'expires_at'], msg: 'Value error, expires_at must be in the future', type: 'value_error' });
    }
    if (errors.length > 0 || typeof name !== 'string' || typeof expiresAt !== 'string') return unprocessable(errors);
    const key = this.#createKey(caller, {
      name,
      description: typeof description === 'string' ? description : '',
      createdAt: this.#nextCreatedAt(),
      expiresAt: new Date(Date.parse(expiresAt)),
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
    }
  }

  #list(req: EmulatedRequest, caller: KubiyaUser): EmulatedResponse {
    const listed = this.keys()
      .filter((key) => key.org === caller.org && (this.options.listRevoked || key.revoked_at === null))
      .sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at));
    if (this.options.listOrder === 'newest-first') listed.reverse();
    const items = listed.map((key) => ({
      id: key.id,
      name: key.name,
      description: key.description,
      created_at: key.created_at,
      last_used: key.last_used,
      expires_at: key.expires_at,
      status: this.keyStatus(key),
      revoked_at: key.revoked_at,
    }));
    const { pageSize, listShape, pageLinks } = this.options;
    if (pageSize === undefined) return { status: 200, body: listShape === 'array' ? items : { [listShape]: items } };

    const pageParam = req.query.get('page') ?? '1';
    if (!/^[1-9]\d*$/.test(pageParam)) {
      return unprocessable([{ loc: ['query', 'page'], msg: 'Input should be a positive integer', type: 'int_parsing' }]);
    }
    const page = Number(pageParam);
    const start = (page - 1) * pageSize;
    const hasMore = start + pageSize < items.length;
    const nextPath = `${KEYS_PATH}?page=${page + 1}`;
    const next = hasMore ? (pageLinks === 'absolute' ? `${this.url}${nextPath}` : nextPath) : null;
    return {
      status: 200,
      body: {
        [listShape === 'array' ? 'keys' : listShape]: items.slice(start, start + pageSize),
        page,
        page_size: pageSize,
        total: items.length,
        next,
        has_more: hasMore,
      },
    };
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

  #createKey(user: KubiyaUser, spec: { name: string; description: string; createdAt: Date; expiresAt: Date }): KubiyaKey {
    const id = randomUUID();
    const token = this.#signer.sign({
      organization: user.org,
      email: user.email,
      token_id: id,
      token_name: spec.name,
      exp: Math.floor(spec.expiresAt.getTime() / 1000),
      iat: Math.floor(spec.createdAt.getTime() / 1000),
    });
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
    };
    this.#keys.set(id, key);
    this.#keyIdByToken.set(token, id);
    return key;
  }
}

export async function startKubiyaEmulator(options: KubiyaEmulatorOptions = {}): Promise<KubiyaEmulator> {
  return new KubiyaEmulator(options).listen();
}
