// What the rotation needs from GitHub. The REST adapter is github/secrets.ts; sealing is github/seal.ts.
import type { Slot } from './slots.ts';

export interface PublicKey {
  keyId: string;
  /** base64 (original variant) X25519 public key of the secret's scope */
  key: string;
}

export interface SealedSecret {
  keyId: string;
  encryptedValue: string;
}

export interface SecretStore {
  /** Also proves the token can reach the slot's secrets, before anything is minted for it. */
  publicKey(slot: Slot): Promise<PublicKey>;
  put(slot: Slot, sealed: SealedSecret): Promise<'created' | 'updated'>;
}
