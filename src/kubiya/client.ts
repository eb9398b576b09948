// KeyService over Kubiya's platform API. Every Kubiya call the action makes is in this file.
import type { ApiKey, CreateKeyRequest, KeyService, MintedKey, Reconcile } from '../key-service.ts';
import { ServiceError } from '../service-error.ts';
import { KubiyaHttp, type KubiyaHttpOptions, type KubiyaResponse } from './http.ts';
import { jwtExpiry, readCreatedKey, readKeyPage, type KeyPage } from './responses.ts';

const KEYS = '/api/v1/auth/keys';
/** 50,000 keys at 25 a page; a list longer than this is refused, not truncated. */
const MAX_PAGES = 2_000;
/**
 * Empty pages in a row that each say more follow, before the list is refused: a server that filters a page after
 * cutting it may serve a few, but one that ignores the page asked for would serve them until MAX_PAGES.
 */
const MAX_EMPTY_PAGES = 100;
const DOCS = 'https://github.com/kubiya/api-key-action/blob/v1/docs/kubiya-api.md';
/** The lifetimes Kubiya's web UI offers, for a server that refuses the requested one. */
const UI_LIFETIMES = '24 hours, 7 days, 30 days, 90 days, 180 days or 1 year (ttl: 24h, 7d, 30d, 90d, 180d, 365d)';

interface KubiyaClientOptions extends KubiyaHttpOptions {
  adminKey: string;
  /** called with every minted key the moment it is parsed, before anything can print it (core.setSecret) */
  onSecret: (secret: string) => void;
}

export class KubiyaClient implements KeyService {
  private readonly http: KubiyaHttp;
  private readonly adminKey: string;
  private readonly onSecret: (secret: string) => void;
  private identityPath = '/api/v1/users/self';

  constructor(options: KubiyaClientOptions) {
    this.http = new KubiyaHttp(options);
    this.adminKey = options.adminKey;
    this.onSecret = options.onSecret;
    this.http.protect(options.adminKey);
  }

  /** `key` (named `keyName` in messages: the new key, api-key) or admin-api-key; a 401 for `key` has status 401. */
  async authenticate(key?: string, keyName = 'the new key'): Promise<void> {
    const request = { key: key ?? this.adminKey, what: key ? `the check of ${keyName}` : 'the check of admin-api-key' };
    let response = await this.http.send('GET', this.identityPath, request);
    if (response.status === 404 && this.identityPath.endsWith('/self')) {
      this.identityPath = '/api/v1/users/current';
      response = await this.http.send('GET', this.identityPath, request);
    }
    if (!ok(response)) {
      if (key && response.status === 401) {
        throw new ServiceError(`Kubiya did not accept ${keyName} (${this.http.reason(response)})`, { status: 401 });
      }
      throw this.failure(key ? `verifying ${keyName}` : 'checking admin-api-key', response);
    }
  }

  /**
   * Every key of the organization, across every paging form docs/kubiya-api.md lists. Never a partial list: a page
   * that cannot be followed, a page that repeats, or a list that does not end is an error.
   */
  async listKeys(): Promise<ApiKey[]> {
    const keys: ApiKey[] = [];
    const requested = new Set<string>();
    let url = this.http.resolve(KEYS);
    let previousIds: string | undefined;
    let entries = 0;
    let emptyRun = 0;
    let skippedFields: string[] | undefined;
    for (let page = 1; page <= MAX_PAGES; page++) {
      requested.add(url.href);
      const response = await this.http.send('GET', url.href, { key: this.adminKey, what: 'the key list' });
      if (!ok(response)) throw this.failure('listing API keys', response, true);
      let current: KeyPage;
      try {
        current = readKeyPage(response.body);
      } catch (error) {
        throw new ServiceError(
          `Kubiya answered the key list (page ${page}) with something this action cannot read: ${(error as Error).message}. ` +
            `Nothing was changed; check kubiya-api-url (now ${this.http.options.baseUrl}) and see ${DOCS}`,
        );
      }
      const ids = current.keys.map((key) => key.id).join('\n');
      if (current.keys.length > 0 && ids === previousIds) {
        const ignored = 'it ignores the paging the previous page asked for';
        throw partialList(`Kubiya answered page ${page} of the key list with the same keys as page ${page - 1} (${ignored})`);
      }
      previousIds = ids;
      keys.push(...current.keys);
      entries += current.entries;
      skippedFields ??= current.skippedFields;
      const next = this.nextPage(url, current, page, entries);
      if (!next) return this.checked(keys, entries, skippedFields);
      // A list that would not end: it keeps serving empty pages that say more follow, or points back to a page already
      // read (a cursor that does not move is one).
      emptyRun = current.entries === 0 ? emptyRun + 1 : 0;
      if (emptyRun >= MAX_EMPTY_PAGES) {
        throw neverEnds(`gave ${emptyRun} empty pages in a row (to page ${page}), each saying more keys follow`);
      }
      if (requested.has(next.href)) {
        const where = `a page already read (${next.pathname}${next.search})`;
        if (current.entries === 0) throw neverEnds(`gave an empty page ${page} that says more keys follow but points back to ${where}`);
        throw neverEnds(`points back to ${where} after page ${page}`);
      }
      url = next;
    }
    const advice = `Revoke unused keys in Kubiya's web UI, or report it: ${DOCS}`;
    throw partialList(`Kubiya's key list did not end after ${MAX_PAGES} pages (${keys.length} keys read)`, advice);
  }

  /**
   * An entry without an id or a name is someone else's key and is skipped. But when NOT ONE entry can be read (the
   * admin key's own is among them), the fields were renamed: the list would read as empty, a false all-clear.
   */
  private checked(keys: ApiKey[], entries: number, skippedFields: string[] | undefined): ApiKey[] {
    if (keys.length > 0 || entries === 0) return keys;
    throw new ServiceError(
      `Kubiya's key list has ${entries} entries but not one with both an id (id, uuid, key_id, token_id) and a name ` +
        `(name, token_name); an entry has the fields ${(skippedFields ?? []).slice(0, 12).join(', ') || '(none)'}. ` +
        `The list's shape has changed, so nothing was changed; see ${DOCS}`,
    );
  }

  /**
   * Where the page after `url` is, by whichever paging form the page used; undefined at the end. A page with no
   * entries is followed like any other: only a page that says nothing follows ends the list (a server may cut a page
   * before it filters it). An empty offset page that says more follow names its own offset again: a repeat.
   */
  private nextPage(url: URL, current: KeyPage, page: number, seen: number): URL | undefined {
    const paging = current.paging;
    const withParams = (params: Record<string, string | number | undefined>) => {
      const next = new URL(url);
      for (const [name, value] of Object.entries(params)) if (value !== undefined) next.searchParams.set(name, String(value));
      return next;
    };
    const pageNumber = paging.page ?? (Number(url.searchParams.get('page')) || page);
    if (paging.next !== undefined) {
      if (typeof paging.next === 'number' || /^\d+$/.test(paging.next)) return withParams({ page: paging.next });
      let next: URL;
      try {
        // A path is under the base URL, as the first request was; anything else is resolved against the page.
        next = /^\/(?!\/)/.test(paging.next) ? this.http.resolve(paging.next) : new URL(paging.next, url);
      } catch {
        throw new ServiceError(`Kubiya's key list names its next page in a form this action cannot read; see ${DOCS}`);
      }
      if (next.origin !== url.origin) {
        throw new ServiceError(
          `Kubiya's key list continues at another origin (${next.origin}); admin-api-key is only sent to ${url.origin}, so ` +
            `the list cannot be read in full and nothing was changed. Set kubiya-api-url to the origin that serves the keys; see ${DOCS}`,
        );
      }
      return next;
    }
    if (paging.cursor !== undefined) return withParams({ cursor: paging.cursor });
    if (paging.hasMore === false) return undefined;
    if (paging.offset !== undefined) {
      const offset = paging.offset + current.entries;
      const more = paging.hasMore === true || (paging.total !== undefined && offset < paging.total);
      if (more && current.entries === 0) {
        throw neverEnds(`gave the same offset (${offset}: an empty page that says more keys follow) twice`);
      }
      return more ? withParams({ offset, limit: paging.limit ?? url.searchParams.get('limit') ?? undefined }) : undefined;
    }
    if (paging.hasMore === true) return withParams({ page: pageNumber + 1 });
    if (paging.total !== undefined) {
      const more = paging.limit !== undefined ? pageNumber * paging.limit < paging.total : seen < paging.total;
      return more ? withParams({ page: pageNumber + 1 }) : undefined;
    }
    return undefined;
  }

  async createKey(request: CreateKeyRequest, reconcileLost: Reconcile): Promise<MintedKey> {
    // Kubiya's docs disagree on how a lifetime is asked for: send both forms (docs/kubiya-api.md, "Expiry").
    const ttl = ttlText(request.ttlMs ?? request.expiresAt.getTime() - Date.now());
    const body = { name: request.name, description: request.description, expires_at: request.expiresAt.toISOString(), ttl };
    let uncertain = false;
    // A create that got no answer, or a 5xx, may still have made a key: revoke what it made before trying again.
    const reconcile = async (failed: KubiyaResponse | undefined) => {
      if (failed && failed.status < 500) return;
      uncertain = true;
      await reconcileLost();
    };
    const cleaned = ' (any key the lost requests created under that name was revoked)';
    const response = await this.http
      .send('POST', KEYS, { key: this.adminKey, body, what: `the creation of key ${request.name}`, beforeRetry: reconcile })
      .catch(async (error: unknown) => {
        if (!(error instanceof ServiceError && error.outcomeUnknown)) throw error;
        await reconcile(undefined);
        throw new ServiceError(`${error.message}${cleaned}`);
      });
    if (ok(response)) return this.readMinted(response, request, uncertain, reconcileLost);
    await reconcile(response);
    const failure = this.failure(`creating key ${request.name}`, response, true, ttl);
    // `outcomeUnknown`: an earlier attempt went unanswered, so the refusal does not prove that nothing was minted.
    throw new ServiceError(`${failure.message}${uncertain ? cleaned : ''}`, { status: response.status, outcomeUnknown: uncertain });
  }

  async revokeKey(id: string): Promise<void> {
    const response = await this.http.send('DELETE', `${KEYS}/${encodeURIComponent(id)}`, {
      key: this.adminKey,
      what: `the revocation of key ${id}`,
    });
    if (ok(response) || response.status === 404) return;
    throw this.failure(`revoking key ${id}`, response, true);
  }

  private async readMinted(
    response: KubiyaResponse,
    request: CreateKeyRequest,
    uncertain: boolean,
    reconcileLost: Reconcile,
  ): Promise<MintedKey> {
    const created = readCreatedKey(response.body);
    if (created.token) {
      this.onSecret(created.token);
      this.http.protect(created.token);
    }
    if (!created.token || !created.id) {
      await reconcileLost(created.id);
      throw new ServiceError(
        `Kubiya created key ${request.name} but its response carried no ${created.token ? 'key id' : 'key'} ` +
          '(looked for key/token/api_key/apiKey/value and id/uuid/key_id/token_id); the key was revoked. ' +
          `The create response may have changed: see ${DOCS}`,
      );
    }
    return {
      id: created.id,
      name: request.name,
      token: created.token,
      expiresAt: created.expiresAt ?? request.expiresAt,
      createdAt: created.createdAt,
      mintId: request.mintId,
      uncertain,
    };
  }

  /** `ttl`: the lifetime a create asked for; a 4xx about the request (not auth, a missing endpoint or a rate limit) may refuse it. */
  private failure(action: string, response: KubiyaResponse, keyEndpoint = false, ttl?: string): ServiceError {
    const { status } = response;
    const reason = this.http.reason(response);
    const base = this.http.options.baseUrl;
    const expiredAt = jwtExpiry(this.adminKey);
    let message = `Kubiya failed ${action} at ${base} (${reason})`;
    if (keyEndpoint && (status === 404 || status === 405)) {
      message =
        `Kubiya failed ${action} (${reason}): the key endpoint ${KEYS} is not there at ${base}. ` +
        `If your organization manages keys on the control plane, set kubiya-api-url: https://control-plane.kubiya.ai; see ${DOCS}`;
    } else if (status === 401 && expiredAt && expiredAt.getTime() <= Date.now()) {
      // Its JWT says so (read locally): no need for the list of possible causes.
      message =
        `Kubiya rejected admin-api-key while ${action} (${reason}): admin-api-key expired on ` +
        `${expiredAt.toISOString().replace(/\.\d{3}Z$/, 'Z')}. Create a new admin key from a service account in Kubiya and put ` +
        'it in the secret that holds admin-api-key (Kubiya keys live one year at most).';
    } else if (status === 401) {
      message =
        `Kubiya rejected admin-api-key while ${action} (${reason}): the key is invalid, revoked or expired, or belongs to ` +
        `another Kubiya deployment (check kubiya-api-url, now ${base}).`;
    } else if (status === 403) {
      message =
        `Kubiya refused ${action} (${reason}): the user of admin-api-key lacks permission to manage API keys; ` +
        'use a service account allowed to create and revoke keys.';
    } else if (ttl && status >= 400 && status < 500 && status !== 429) {
      message =
        `Kubiya refused ${action} (${reason}); the request asked for a lifetime of ${ttl}. ` +
        `If Kubiya does not accept that lifetime, set ttl to one its web UI offers: ${UI_LIFETIMES}.`;
    }
    return new ServiceError(message, { status });
  }
}

/** A lifetime as Kubiya's `ttl`: `<n>d`, `<n>h` or `<n>m` in the largest whole unit (at least 1m). */
export function ttlText(ms: number): string {
  const minutes = Math.max(1, Math.round(ms / 60_000));
  if (minutes % 1440 === 0) return `${minutes / 1440}d`;
  if (minutes % 60 === 0) return `${minutes / 60}h`;
  return `${minutes}m`;
}

function neverEnds(what: string): ServiceError {
  return partialList(`Kubiya's key list ${what}, so it would never end`);
}

function partialList(problem: string, advice = `See ${DOCS}`): ServiceError {
  return new ServiceError(`${problem}; refusing to act on a partial list. ${advice}`);
}

function ok(response: KubiyaResponse): boolean {
  return response.status >= 200 && response.status < 300;
}
