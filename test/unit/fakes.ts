// In-memory KeyService and SecretStore that record every call, for the rotation's unit tests.
import sodium from 'libsodium-wrappers';
import type { ApiKey, Identity, KeyService, MintedKey } from '../../src/key-service.ts';
import type { SealedSecret, SecretStore, WriteTarget } from '../../src/secret-store.ts';
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

  constructor(calls: Calls) {
    this.calls = calls;
  }

  seed(name: string, createdAt: Date): ApiKey {
    const key = { id: `old${this.nextId++}`, name, createdAt, revoked: false, token: `old-token-${this.nextId}` };
    this.keys.push(key);
    return key;
  }

  async whoami(key?: string): Promise<Identity> {
    this.calls.record(key ? 'verify' : 'whoami');
    return { email: 'ci@acme.test', org: 'acme' };
  }

  async listKeys(): Promise<ApiKey[]> {
    this.calls.record('list');
    return this.keys.map(({ token: _token, ...key }) => ({ ...key }));
  }

  async createKey(request: { name: string; description: string; expiresAt: Date }): Promise<MintedKey> {
    this.calls.record('create', request.name);
    this.clock += 1000;
    const key = {
      id: `new${this.nextId++}`,
      name: request.name,
      createdAt: new Date(this.clock),
      revoked: false,
      token: `minted-token-${this.nextId}`,
    };
    this.keys.push(key);
    this.afterCreate?.();
    return {
      id: key.id,
      name: key.name,
      token: key.token,
      expiresAt: request.expiresAt,
      requestedExpiresAt: request.expiresAt,
      createdAt: key.createdAt,
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
  private pair?: { publicKey: Uint8Array; privateKey: Uint8Array };

  constructor(calls: Calls) {
    this.calls = calls;
  }

  async prepare(slot: Slot): Promise<WriteTarget> {
    await sodium.ready;
    this.pair ??= sodium.crypto_box_keypair();
    this.calls.record('prepare', slot.target);
    return { publicKey: { keyId: 'k-1', key: sodium.to_base64(this.pair.publicKey, sodium.base64_variants.ORIGINAL) } };
  }

  async put(slot: Slot, sealed: SealedSecret): Promise<'created' | 'updated'> {
    this.calls.record('put', slot.target);
    const plain = sodium.crypto_box_seal_open(
      sodium.from_base64(sealed.encryptedValue, sodium.base64_variants.ORIGINAL),
      this.pair!.publicKey,
      this.pair!.privateKey,
    );
    const existed = this.values.has(slot.target);
    this.values.set(slot.target, sodium.to_string(plain));
    return existed ? 'updated' : 'created';
  }
}
