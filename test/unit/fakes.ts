// In-memory KeyService and SecretStore that record every call, for the rotation's unit tests.
import type { ApiKey, CreateKeyRequest, KeyService, MintedKey } from '../../src/key-service.ts';
import { WriteDeadlinePassed, type SecretStore, type WriteOptions, type WriteTarget } from '../../src/secret-store.ts';
import { ServiceError } from '../../src/service-error.ts';
import type { Slot } from '../../src/slots.ts';

type Step = 'whoami' | 'verify' | 'list' | 'create' | 'revoke' | 'prepare' | 'put';

export class Calls {
  readonly log: string[] = [];
  private readonly faults = new Map<string, Error>();

  /** `step` or `step:detail` (e.g. `revoke:k1`, `put:acme/web`) fails with `error`. */
  fail(step: string, error: Error = new ServiceError(`${step} broke`, { status: 500 })): void {
    this.faults.set(step, error);
  }

  record(step: Step, detail = ''): void {
    this.log.push(detail ? `${step}:${detail}` : step);
    const fault = this.faults.get(`${step}:${detail}`) ?? this.faults.get(step);
    if (fault) throw fault;
  }
}

export class FakeKeys implements KeyService {
  readonly keys: (ApiKey & { token: string })[] = [];
  private nextId = 1;
  private clock = Date.parse('2026-11-27T12:00:00Z');
  readonly calls: Calls;
  /** runs after a key is created, before the next listing (to simulate a concurrent run) */
  afterCreate?: () => void;
  /** ids the listing leaves out (a list that lags behind a create) */
  readonly unlisted = new Set<string>();
  /** the expiry Kubiya gives, if not the one asked for */
  givesExpiry?: Date;

  constructor(calls: Calls) {
    this.calls = calls;
  }

  seed(name: string, createdAt: Date): ApiKey {
    const key = { id: `old${this.nextId++}`, name, createdAt, revoked: false, token: `old-token-${this.nextId}` };
    this.keys.push(key);
    return key;
  }

  async authenticate(key?: string): Promise<void> {
    this.calls.record(key ? 'verify' : 'whoami');
  }

  async listKeys(): Promise<ApiKey[]> {
    this.calls.record('list');
    return this.keys.filter((key) => !this.unlisted.has(key.id)).map(({ token: _token, ...key }) => ({ ...key }));
  }

  async createKey(request: CreateKeyRequest): Promise<MintedKey> {
    this.calls.record('create', request.name);
    this.clock += 1000;
    const key = {
      id: `new${this.nextId++}`,
      name: request.name,
      createdAt: new Date(this.clock),
      description: request.description,
      revoked: false,
      token: `minted-token-${this.nextId}`,
    };
    this.keys.push(key);
    this.afterCreate?.();
    return {
      id: key.id,
      name: key.name,
      token: key.token,
      expiresAt: this.givesExpiry ?? request.expiresAt,
      createdAt: key.createdAt,
      mintId: request.mintId,
      uncertain: false,
    };
  }

  async revokeKey(id: string): Promise<void> {
    this.calls.record('revoke', id);
    const key = this.keys.find((k) => k.id === id);
    if (key) key.revoked = true;
  }

  live(): string[] {
    return this.keys.filter((key) => !key.revoked).map((key) => key.id);
  }

  tokenOf(id: string): string | undefined {
    return this.keys.find((key) => key.id === id)?.token;
  }
}

export class FakeSecrets implements SecretStore {
  readonly values = new Map<string, string>();
  readonly calls: Calls;

  constructor(calls: Calls) {
    this.calls = calls;
  }

  async prepare(slot: Slot): Promise<WriteTarget> {
    this.calls.record('prepare', slot.target);
    return { publicKey: { keyId: 'k-1', key: 'public-key' } };
  }

  async put(slot: Slot, value: string, _target: WriteTarget, options: WriteOptions): Promise<'created' | 'updated'> {
    if (options.clock() > options.sendBy) throw new WriteDeadlinePassed('no further attempt was sent');
    this.calls.record('put', slot.target);
    const existed = this.values.has(slot.target);
    this.values.set(slot.target, value);
    return existed ? 'updated' : 'created';
  }
}
