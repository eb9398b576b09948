// Secret storage of one GitHub secrets scope (repo actions, repo dependabot, an environment,
// org actions, org dependabot): its X25519 key pair and the secrets sealed to it.
import { randomInt } from 'node:crypto';
import sodium from 'libsodium-wrappers';

export type OrgSecretVisibility = 'all' | 'private' | 'selected';

export interface StoredSecret {
  /** Upper-cased, as GitHub stores it. */
  name: string;
  /** Ciphertext exactly as received (seeded secrets: sealed by the emulator). */
  encrypted_value: string;
  key_id: string;
  /** Decrypted plaintext. */
  value: string;
  created_at: string;
  updated_at: string;
  /** Organization secrets only. */
  visibility?: OrgSecretVisibility;
  selectedRepositoryIds?: number[];
}

/** GitHub's pattern for `encrypted_value`: padded standard Base64 (the ORIGINAL variant). */
export const ENCRYPTED_VALUE_PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})$/;

/** GitHub secrets are limited to 48 KB. */
export const MAX_SECRET_BYTES = 48 * 1024;

const usedKeyIds = new Set<string>();

/** key_id is a string of digits, like GitHub's `012345678912345678`. */
function newKeyId(): string {
  for (;;) {
    const id = `${randomInt(1, 10)}${String(randomInt(0, 1e9)).padStart(9, '0')}${String(randomInt(0, 1e8)).padStart(8, '0')}`;
    if (!usedKeyIds.has(id)) {
      usedKeyIds.add(id);
      return id;
    }
  }
}

/** GitHub's timestamp form: second precision, `Z`. */
export function githubTimestamp(date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** undefined when the name is acceptable; otherwise GitHub's 422 message. */
export function secretNameError(name: string): string | undefined {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    return 'Secret names can only contain alphanumeric characters ([a-z], [A-Z], [0-9]) or underscores (_). Spaces are not allowed. Must start with a letter ([a-z], [A-Z]) or underscores (_).';
  }
  if (/^GITHUB_/i.test(name)) return 'Secret names must not start with GITHUB_.';
  return undefined;
}

export class SecretScope {
  readonly label: string;
  keyId = '';
  readonly secrets = new Map<string, StoredSecret>();
  #publicKey: Uint8Array = new Uint8Array();
  #privateKey: Uint8Array = new Uint8Array();

  /** libsodium must be ready (`await sodium.ready`) before the first scope is created. */
  constructor(label: string) {
    this.label = label;
    this.rotateKey();
  }

  /** New key pair and key_id; secrets already stored keep their values. */
  rotateKey(): void {
    const pair = sodium.crypto_box_keypair();
    this.#publicKey = pair.publicKey;
    this.#privateKey = pair.privateKey;
    this.keyId = newKeyId();
  }

  publicKey(): { key_id: string; key: string } {
    return { key_id: this.keyId, key: sodium.to_base64(this.#publicKey, sodium.base64_variants.ORIGINAL) };
  }

  /** Plaintext of a sealed box addressed to this scope's current key, or undefined. */
  open(encryptedValue: string): string | undefined {
    try {
      const sealed = sodium.from_base64(encryptedValue, sodium.base64_variants.ORIGINAL);
      const plain = sodium.crypto_box_seal_open(sealed, this.#publicKey, this.#privateKey);
      return new TextDecoder().decode(plain);
    } catch {
      return undefined;
    }
  }

  seal(plaintext: string): string {
    return sodium.to_base64(sodium.crypto_box_seal(plaintext, this.#publicKey), sodium.base64_variants.ORIGINAL);
  }

  get(name: string): StoredSecret | undefined {
    return this.secrets.get(name.toUpperCase());
  }

  /** Creates or updates; returns whether it was created. */
  store(
    name: string,
    encryptedValue: string,
    value: string,
    org?: { visibility: OrgSecretVisibility; selectedRepositoryIds?: number[] },
  ): boolean {
    const key = name.toUpperCase();
    const existing = this.secrets.get(key);
    const now = githubTimestamp();
    const secret: StoredSecret = {
      name: key,
      encrypted_value: encryptedValue,
      key_id: this.keyId,
      value,
      created_at: existing?.created_at ?? now,
      updated_at: now,
    };
    if (org) {
      secret.visibility = org.visibility;
      secret.selectedRepositoryIds =
        org.visibility !== 'selected' ? [] : (org.selectedRepositoryIds ?? existing?.selectedRepositoryIds ?? []);
    }
    this.secrets.set(key, secret);
    return existing === undefined;
  }
}
