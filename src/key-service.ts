// What the rotation needs from Kubiya. The HTTP adapter is kubiya/client.ts.

export interface ApiKey {
  id: string;
  name: string;
  createdAt?: Date;
  lastUsed?: Date;
  expiresAt?: Date;
  /** already revoked (listed with status `revoked` or a `revoked_at`) */
  revoked: boolean;
  /** as listed, when the list carries one */
  description?: string;
}

export interface MintedKey {
  id: string;
  name: string;
  /** the key itself: masked by the client the moment it is parsed, and never logged */
  token: string;
  /** the expiry the server gave (the create response's `expires_at`, else the key's JWT `exp`); the requested one only when neither exists */
  expiresAt: Date;
  /** the expiry this run asked for: warn when it differs from `expiresAt` by more than 10 minutes */
  requestedExpiresAt: Date;
  createdAt?: Date;
}

export interface CreateKeyRequest {
  name: string;
  description: string;
  expiresAt: Date;
  /** the requested lifetime, sent as `ttl`; default: from now until `expiresAt`, to the minute */
  ttlMs?: number;
}

export interface Identity {
  email?: string;
  org?: string;
}

export interface KeyService {
  /** Who the admin key (or `key`, to verify a new key) authenticates as. */
  whoami(key?: string): Promise<Identity>;
  listKeys(): Promise<ApiKey[]>;
  /** Mints a key. A lost response is reconciled by name, so a failed mint leaves no key behind. */
  createKey(request: CreateKeyRequest): Promise<MintedKey>;
  /** Revokes a key; one that is already gone counts as revoked. */
  revokeKey(id: string): Promise<void>;
}
