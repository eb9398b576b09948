// The tokens the GitHub emulator knows: what each may reach (repositories, organizations,
// permissions) and, for a token that expires, the `github-authentication-token-expiration`
// header GitHub sends on every response to a request made with it.

export type PermissionLevel = 'write' | 'read' | 'none';
export type GrantPermission = 'secrets' | 'environments' | 'dependabotSecrets' | 'orgSecrets' | 'actions';

export interface TokenGrant {
  /** 'github-token' models the workflow's default GITHUB_TOKEN: it never reaches secrets endpoints. */
  kind: 'pat' | 'app' | 'github-token';
  /** Repositories the token can see; default '*'. */
  repos?: '*' | string[];
  /** Organizations the token can see; default '*'. */
  orgs?: '*' | string[];
  /** Permissions default to 'write' (except for kind 'github-token', which has none of them). */
  secrets?: PermissionLevel;
  environments?: PermissionLevel;
  dependabotSecrets?: PermissionLevel;
  orgSecrets?: PermissionLevel;
  /**
   * Actions (workflows and their runs): `read` to get them, `write` to enable one. Default 'write' for PATs
   * and App tokens; for 'github-token' the default is 'none' (GitHub's restricted default) and this is the
   * one permission it can be given, as a job's `permissions: actions: read|write` does.
   */
  actions?: PermissionLevel;
  /**
   * PATs only (installation tokens and GITHUB_TOKEN carry no expiry header): when the token expires. Every
   * response to it then carries `github-authentication-token-expiration`; once passed, the token is refused (401).
   */
  expiresAt?: Date;
  /** How the header writes the expiry: 'UTC' (default: `2027-03-01 12:00:00 UTC`) or an offset like '+0100'. */
  expiryZone?: 'UTC' | `${'+' | '-'}${string}`;
}

/** A token as the emulator holds it: every permission resolved, the expiry header rendered once. */
export interface ResolvedGrant {
  kind: TokenGrant['kind'];
  repos: '*' | string[];
  orgs: '*' | string[];
  permissions: Record<GrantPermission, PermissionLevel>;
  expiresAtMs: number | undefined;
  expiryHeader: string | undefined;
}

const LEVEL_RANK: Record<PermissionLevel, number> = { none: 0, read: 1, write: 2 };

/** `2027-03-01 12:00:00 UTC`, or with an offset `2027-03-01 13:00:00 +0100` (the same instant). */
export function tokenExpirationHeader(expiresAt: Date, zone: TokenGrant['expiryZone'] = 'UTC'): string {
  const offset = zone === 'UTC' ? undefined : /^([+-])(\d{2})(\d{2})$/.exec(zone);
  if (zone !== 'UTC' && !offset) throw new Error(`expiryZone: expected 'UTC' or an offset like +0100, got ${zone}`);
  const offsetMs = offset ? (offset[1] === '-' ? -1 : 1) * (Number(offset[2]) * 60 + Number(offset[3])) * 60_000 : 0;
  const local = new Date(expiresAt.getTime() + offsetMs).toISOString();
  return `${local.slice(0, 10)} ${local.slice(11, 19)} ${offset ? zone : 'UTC'}`;
}

export function resolveGrant(grant: TokenGrant): ResolvedGrant {
  const workflowToken = grant.kind === 'github-token';
  if (grant.expiresAt !== undefined && grant.kind !== 'pat') {
    throw new Error(`addToken: a ${grant.kind} token carries no expiry header; only PATs do`);
  }
  const level = (given: PermissionLevel | undefined): PermissionLevel => (workflowToken ? 'none' : (given ?? 'write'));
  return {
    kind: grant.kind,
    repos: grant.repos ?? '*',
    orgs: grant.orgs ?? '*',
    permissions: {
      secrets: level(grant.secrets),
      environments: level(grant.environments),
      dependabotSecrets: level(grant.dependabotSecrets),
      orgSecrets: level(grant.orgSecrets),
      actions: grant.actions ?? (workflowToken ? 'none' : 'write'),
    },
    expiresAtMs: grant.expiresAt?.getTime(),
    expiryHeader: grant.expiresAt && tokenExpirationHeader(grant.expiresAt, grant.expiryZone),
  };
}

export function allows(grant: ResolvedGrant, permission: GrantPermission, needed: PermissionLevel): boolean {
  return LEVEL_RANK[grant.permissions[permission]] >= LEVEL_RANK[needed];
}

/** GitHub's 403 message when a token lacks a permission. */
export function notAccessibleMessage(grant: ResolvedGrant): string {
  return `Resource not accessible by ${grant.kind === 'pat' ? 'personal access token' : 'integration'}`;
}
