// What the rotation needs from Kubiya. The HTTP adapter is kubiya/client.ts.

export interface ApiKey {
  id: string;
  name: string;
  createdAt?: Date;
  lastUsed?: Date;
  /**
   * As listed; a key listed without one expires `created_at` + 365 days at the latest (Kubiya's longest lifetime),
   * and gets that expiry with `expiresAtInferred` set. Undefined only when neither was listed: unknown, never "never".
   */
  expiresAt?: Date;
  /** `expiresAt` was not listed but inferred from `createdAt` (kubiya/responses.ts) */
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

export interface KeyService {
  /** Resolves when the admin key (or `key`, to verify a new key) authenticates; rejects with why not. */
  authenticate(key?: string): Promise<void>;
  listKeys(): Promise<ApiKey[]>;
  /**
   * Mints a key. A lost response is reconciled by name and description, so a failed mint leaves no key
   * behind; a key that such an attempt made after the reconciliation shows up in later listings.
   */
  createKey(request: CreateKeyRequest): Promise<MintedKey>;
  /** Revokes a key; one that is already gone counts as revoked. */
  revokeKey(id: string): Promise<void>;
}
