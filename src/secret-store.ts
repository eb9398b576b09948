// What the rotation needs from GitHub. The REST adapter is github/secrets.ts; sealing is github/seal.ts.
import type { OrgSecretVisibility, Slot } from './slots.ts';

export interface PublicKey {
  keyId: string;
  /** base64 (original variant) X25519 public key of the secret's scope */
  key: string;
}

export interface SealedSecret {
  keyId: string;
  encryptedValue: string;
}

/** Who may read an organization secret: kept exactly as it is when the secret is updated. */
export interface OrgSecretAccess {
  visibility: OrgSecretVisibility;
  selectedRepositoryIds?: number[];
}

/** What a write needs, read before anything is minted (reading it proves the token can reach the secret). */
export interface WriteTarget {
  publicKey: PublicKey;
  /** organization secrets only */
  access?: OrgSecretAccess;
}

export interface SecretStore {
  prepare(slot: Slot): Promise<WriteTarget>;
  put(slot: Slot, sealed: SealedSecret, target: WriteTarget): Promise<'created' | 'updated'>;
}
