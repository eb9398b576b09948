// What the rotation needs from Kubiya, and what a Kubiya key is. The HTTP adapter is kubiya/client.ts.

export interface ApiKey {
  id: string;
  name: string;
  createdAt?: Date;
  lastUsed?: Date;
  /** as listed, else inferred (withExpiry); undefined only when unknown, never "never" */
  expiresAt?: Date;
  expiresAtInferred?: true;
  /** when the listing carries it: tells the keys of two create calls with the same name apart */
  description?: string;
  /** already revoked (listed with status `revoked` or a `revoked_at`) */
  revoked: boolean;
}

export interface MintedKey {
  id: string;
  name: string;
  /** the key itself: masked by the client the moment it is parsed, and never logged */
  token: string;
  /** the expiry Kubiya gave (the create response's `expires_at`, else the key's JWT `exp`); the requested one only when neither exists */
  expiresAt: Date;
  createdAt?: Date;
  /** the create call's own id, in the key's description (slots.ts isKeyOfMint) */
  mintId: string;
  /** one of the create's attempts went unanswered, so it may have made another key with this name */
  uncertain: boolean;
}

export interface CreateKeyRequest {
  name: string;
  /** carries `mintId` (slots.ts keyDescription) */
  description: string;
  mintId: string;
  expiresAt: Date;
  /** the requested lifetime, sent as `ttl`; default: from now until `expiresAt`, to the minute */
  ttlMs?: number;
}

/** Finds and revokes whatever an unconfirmed create made (key-lifecycle.ts); `createdId`: a key its answer named. */
export type Reconcile = (createdId?: string) => Promise<void>;

export interface KeyService {
  /** Resolves when the admin key (or `key`, to verify a new key) authenticates; rejects with why not. */
  authenticate(key?: string): Promise<void>;
  listKeys(): Promise<ApiKey[]>;
  /**
   * Mints a key. What an attempt that may have made a key (no answer, a 5xx) or an answer without a usable key made
   * is revoked through `reconcile`, before any retry: a failed mint leaves no key behind.
   */
  createKey(request: CreateKeyRequest, reconcile: Reconcile): Promise<MintedKey>;
  /** Revokes a key; one that is already gone counts as revoked. */
  revokeKey(id: string): Promise<void>;
}

/** Kubiya's longest key lifetime: its web UI offers no "never". */
const LONGEST_LIFETIME_MS = 365 * 24 * 3_600_000;

/** A listed key with its expiry: as listed, else `created_at` + 365 days at the latest (inferred: no Kubiya key lives longer). */
export function withExpiry<K extends ApiKey>(key: K): K {
  if (key.expiresAt || !key.createdAt) return key;
  return { ...key, expiresAt: new Date(key.createdAt.getTime() + LONGEST_LIFETIME_MS), expiresAtInferred: true };
}
