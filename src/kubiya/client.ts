// KeyService over Kubiya's platform API. Every Kubiya call the action makes is in this file.
import type { ApiKey, CreateKeyRequest, Identity, KeyService, MintedKey } from '../key-service.ts';
import { isKeyOfMint } from '../slots.ts';
import { ServiceError } from '../service-error.ts';
import { waitBeforeRetry, type RequestSettings } from '../retry.ts';
import { KubiyaHttp, type KubiyaHttpOptions, type KubiyaResponse } from './http.ts';
import { readCreatedKey, readKeyPage } from './responses.ts';

const KEYS = '/api/v1/auth/keys';
const MAX_PAGES = 100;

export interface KubiyaClientOptions extends KubiyaHttpOptions {
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

  async whoami(key?: string): Promise<Identity> {
    const what = key ? 'the check of the new key' : 'the check of admin-api-key';
    let response = await this.http.send('GET', this.identityPath, { key: key ?? this.adminKey, retry: true, what });
    if (response.status === 404 && this.identityPath.endsWith('/self')) {
      this.identityPath = '/api/v1/users/current';
      response = await this.http.send('GET', this.identityPath, { key: key ?? this.adminKey, retry: true, what });
    }
    if (!ok(response)) {
      if (key && response.status === 401) {
        throw new ServiceError(`Kubiya did not accept the new key (${this.http.reason(response)})`, { status: 401 });
      }
      throw this.failure(key ? 'verifying the new key' : 'checking admin-api-key', response);
    }
    const body = response.body as Record<string, unknown> | undefined;
    return {
      email: typeof body?.['email'] === 'string' ? body['email'] : undefined,
      org: typeof body?.['org'] === 'string' ? body['org'] : undefined,
    };
  }

  async listKeys(): Promise<ApiKey[]> {
    const keys: ApiKey[] = [];
    let path = KEYS;
    for (let page = 1; page <= MAX_PAGES; page++) {
      const response = await this.http.send('GET', path, { key: this.adminKey, retry: true, what: 'the key list' });
      if (!ok(response)) throw this.failure('listing API keys', response);
      let current;
      try {
        current = readKeyPage(response.body);
      } catch (error) {
        throw new ServiceError(`Kubiya answered the key list with something unexpected: ${(error as Error).message}`);
      }
      keys.push(...current.keys);
      const more = current.next ?? (current.hasMore || (current.total ?? 0) > keys.length ? `${KEYS}?page=${page + 1}` : undefined);
      if (!more || current.keys.length === 0) return keys;
      path = more;
    }
    throw new ServiceError(`Kubiya's key list did not end after ${MAX_PAGES} pages`);
  }

  async createKey(request: CreateKeyRequest): Promise<MintedKey> {
    const body = { name: request.name, description: request.description, expires_at: request.expiresAt.toISOString() };
    const what = `the creation of key ${request.name}`;
    const policy = this.http.options.retry;
    let uncertain = false;
    for (let attempt = 0; ; attempt++) {
      let response: KubiyaResponse | undefined;
      let lost: ServiceError | undefined;
      try {
        response = await this.http.send('POST', KEYS, { key: this.adminKey, body, retry: false, what });
      } catch (error) {
        if (!(error instanceof ServiceError)) throw error;
        lost = error;
      }
      if (response && ok(response)) return this.readMinted(response, request, uncertain);
      const unknownOutcome = lost !== undefined || (response !== undefined && response.status >= 500);
      // A create whose answer was lost may still have made a key: revoke it before trying again.
      if (unknownOutcome) {
        uncertain = true;
        await this.revokeStrays(request);
      }
      const retryable = unknownOutcome || response?.status === 429;
      const wait = retryable && attempt < policy.retries ? waitBeforeRetry(attempt, response?.headers['retry-after'], policy) : undefined;
      if (wait === undefined) {
        const reason = lost ? lost.message : this.failure(`creating key ${request.name}`, response!).message;
        const cleaned = unknownOutcome ? ' (any key the lost requests created under that name was revoked)' : '';
        throw new ServiceError(`${reason}${cleaned}`, { status: response?.status });
      }
      await policy.sleep(wait);
    }
  }

  async revokeKey(id: string): Promise<void> {
    const response = await this.http.send('DELETE', `${KEYS}/${encodeURIComponent(id)}`, {
      key: this.adminKey,
      retry: true,
      what: `the revocation of key ${id}`,
    });
    if (ok(response) || response.status === 404) return;
    throw this.failure(`revoking key ${id}`, response);
  }

  private async readMinted(response: KubiyaResponse, request: CreateKeyRequest, uncertain: boolean): Promise<MintedKey> {
    const created = readCreatedKey(response.body);
    if (created.token) {
      this.onSecret(created.token);
      this.http.protect(created.token);
    }
    if (!created.token || !created.id) {
      await this.revokeStrays(request, created.id);
      throw new ServiceError(
        `Kubiya created key ${request.name} but its response carried no ${created.token ? 'key id' : 'key'} ` +
          '(looked for key/token/api_key/apiKey/value and id/uuid/key_id/token_id); the key was revoked. ' +
          'The create response may have changed: see shared/spec/KUBIYA-API.md.',
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

  /** Revoke every live key this create call may have made (and `id`), so a failed create leaves nothing behind. */
  private async revokeStrays(request: CreateKeyRequest, id?: string): Promise<void> {
    let keys: ApiKey[];
    try {
      keys = await this.listKeys();
    } catch (error) {
      throw new ServiceError(
        `Kubiya may have created key ${request.name} without confirming it, and the key list to find it failed ` +
          `(${(error as Error).message}); the next rotation (in mint mode, the post step) revokes any key with that name, and it expires on its own`,
      );
    }
    const strays = keys.filter((key) => !key.revoked && (isKeyOfMint(key, request.name, request.mintId) || key.id === id));
    await Promise.all(strays.map((key) => this.revokeKey(key.id)));
  }

  private failure(action: string, response: KubiyaResponse): ServiceError {
    const reason = this.http.reason(response);
    const base = this.http.options.baseUrl;
    if (response.status === 401) {
      return new ServiceError(
        `Kubiya rejected admin-api-key while ${action} (${reason}): the key is invalid, revoked or expired, or belongs to ` +
          `another Kubiya deployment (check kubiya-api-url, now ${base}).`,
        { status: 401 },
      );
    }
    if (response.status === 403) {
      return new ServiceError(
        `Kubiya refused ${action} (${reason}): the user of admin-api-key lacks permission to manage API keys; ` +
          'use a service account allowed to create and revoke keys.',
        { status: 403 },
      );
    }
    return new ServiceError(`Kubiya failed ${action} at ${base} (${reason})`, { status: response.status });
  }
}

/** The client for admin-api-key at kubiya-api-url; `onSecret` masks each minted key (core.setSecret). */
export function kubiyaClient(
  config: { kubiyaApiUrl: string; adminApiKey: string },
  settings: RequestSettings,
  onSecret: (secret: string) => void,
): KubiyaClient {
  return new KubiyaClient({ baseUrl: config.kubiyaApiUrl, adminKey: config.adminApiKey, onSecret, ...settings });
}

function ok(response: KubiyaResponse): boolean {
  return response.status >= 200 && response.status < 300;
}
