// What the rotation needs from Kubiya. The HTTP adapter is kubiya/client.ts.

export interface ApiKey {
  id: string;
  name: string;
  createdAt?: Date;
  lastUsed?: Date;
  expiresAt?: Date;
  /** already revoked (listed with status `revoked` or a `revoked_at`) */
  revoked: boolean;
}

export interface MintedKey {
  id: string;
  name: string;
  /** the key itself: masked by the client the moment it is parsed, and never logged */
  token: string;
  expiresAt: Date;
  createdAt?: Date;
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
  createKey(request: { name: string; description: string; expiresAt: Date }): Promise<MintedKey>;
  /** Revokes a key; one that is already gone counts as revoked. */
  revokeKey(id: string): Promise<void>;
}
