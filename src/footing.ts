// What a run stands on and does not mint: the admin key and the store's token (github-token, or GitLab's). When either
// runs out, rotations stop and CI breaks weeks later, when its key's ttl does. Pure: each one's expiry from what the
// run saw (the admin key's JWT claims, the key list, GitHub's token-expiration header, GitLab's answer about the token
// itself), how urgent it is, and the words that say so.
import type { ApiKey } from './key-service.ts';
import { jwtClaims, jwtExpiry } from './kubiya/responses.ts';
import { relative, when } from './summary.ts';
import type { GitLabTokenSeen } from './gitlab/tokens.ts';

const DAY_MS = 86_400_000;
/** Within this of an expiry (or audit's warn-before, if longer): a warning. */
export const WARN_WITHIN_MS = 30 * DAY_MS;
/** Within this (or past it): an error annotation; the step still succeeds if its work did. */
const ERROR_WITHIN_MS = 7 * DAY_MS;

export type Credential = 'admin-api-key' | 'github-token' | 'gitlab-token';

export interface CredentialExpiry {
  credential: Credential;
  /** undefined: unknown, or it does not expire (`how` says which) */
  expiresAt?: Date;
  /** where the expiry was read, or why there is none: for the log line and the summary */
  how: string;
  /** the service no longer accepts it (its expiry then is in the past, or unknown) */
  refused?: boolean;
}

/** The run's credentials as assessed at `now`: each one's expiry and how urgent it is. */
export interface Standing {
  now: Date;
  credentials: (CredentialExpiry & { urgency: Urgency })[];
}

/** What the fix is, in the words of every annotation, finding and summary line. */
export const FOOTING_FIX: Record<Credential, string> = {
  'admin-api-key':
    'Create a new admin key from a service account in Kubiya and put it in the secret that holds admin-api-key ' +
    '(Kubiya keys live one year at most).',
  'github-token':
    'Put a GitHub App token (actions/create-github-app-token), which does not expire, in place of the personal access ' +
    'token — or renew the token in the secret that holds github-token.',
  'gitlab-token':
    'Create a new project, group or personal access token (api scope, Maintainer role; GitLab requires an expiry) and ' +
    'put it in the CI/CD variable that holds GITLAB_TOKEN.',
};

const CONSEQUENCE: Record<Credential, string> = {
  'admin-api-key': 'every run of this action fails, and CI breaks when the keys it keeps fresh run out',
  'github-token': 'rotations can no longer write the secrets, and CI breaks when the keys in them run out',
  'gitlab-token': 'rotations can no longer write the CI/CD variables, and CI breaks when the keys in them run out',
};

/**
 * The admin key's expiry: its JWT `exp` claim (read locally, signature not checked: information about a key the
 * action was given, not authentication), else the listed key whose id is its `token_id` claim, else unknown.
 */
export function adminKeyExpiry(adminKey: string, listing: readonly ApiKey[] | undefined): CredentialExpiry {
  const credential = 'admin-api-key';
  const claims = jwtClaims(adminKey);
  if (!claims) return { credential, how: 'expiry unknown: it is not a JWT, so its expiry cannot be read from it' };
  const exp = jwtExpiry(adminKey);
  if (exp) return { credential, expiresAt: exp, how: 'from its JWT exp claim' };
  const id = typeof claims['token_id'] === 'string' ? claims['token_id'] : undefined;
  if (!id) return { credential, how: 'expiry unknown: its JWT has neither an exp nor a token_id claim' };
  const listed = listing?.find((key) => key.id === id);
  if (listed?.expiresAt) {
    const inferred = listed.expiresAtInferred ? ', at the latest: listed without one, created_at + 365 days' : '';
    return { credential, expiresAt: listed.expiresAt, how: `from the key list (key id ${id}${inferred})` };
  }
  const why = !listing ? 'this run listed no keys' : listed ? `key ${id} is listed without an expiry` : `key ${id} is not in the key list`;
  return { credential, how: `expiry unknown: its JWT has no exp claim, and ${why}` };
}

/** What the run saw of GitHub: whether it answered at all, and the token-expiration header of its answers. */
export interface GitHubSeen {
  answered: boolean;
  /** `github-authentication-token-expiration`, as GitHub sent it */
  header?: string;
}

/**
 * The github-token's expiry, from GitHub's `github-authentication-token-expiration` header. GitHub sends none for a
 * token that does not expire or lasts one job (an installation token, GITHUB_TOKEN).
 */
export function gitHubTokenExpiry(seen: GitHubSeen): CredentialExpiry {
  const credential = 'github-token';
  if (!seen.answered) return { credential, how: 'expiry unknown: this run made no GitHub request' };
  if (seen.header === undefined) return { credential, how: 'GitHub sent no expiry: it does not expire, or lasts only this job' };
  const expiresAt = tokenExpiryFromHeader(seen.header);
  if (!expiresAt) return { credential, how: `expiry unknown: GitHub's token-expiration header '${seen.header}' could not be read` };
  return { credential, expiresAt, how: "from GitHub's token-expiration header" };
}

const EXPIRATION_HEADER = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) (UTC|[+-]\d{4})$/i;

/** `2027-03-01 12:00:00 UTC` or `2027-03-01 12:00:00 +0100` as the instant it names; undefined for anything else. */
export function tokenExpiryFromHeader(text: string): Date | undefined {
  const match = EXPIRATION_HEADER.exec(text.trim());
  if (!match) return undefined;
  const [, date, time, zone = ''] = match;
  const offset = zone.toUpperCase() === 'UTC' ? 'Z' : `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const ms = Date.parse(`${date}T${time}${offset}`);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

const SELF = 'GET /personal_access_tokens/self';

/**
 * The GitLab token's expiry: it stops working on its `expires_at` day (midnight UTC). GitLab requires every token to
 * expire; an older server without the endpoint answers 404, which leaves it unknown.
 */
export function gitLabTokenExpiry(seen: GitLabTokenSeen): CredentialExpiry {
  const credential = 'gitlab-token';
  if ('error' in seen) return { credential, how: `expiry unknown: ${seen.error}` };
  const { status, expiresAt, reason } = seen;
  if (status === 401) {
    return {
      credential,
      refused: true,
      how: `GitLab no longer accepts it (${reason}): it has expired (a GitLab token stops working on its expiry date) or was revoked`,
    };
  }
  if (status === 404) return { credential, how: `expiry unknown: this GitLab server is too old to tell (${SELF}: HTTP 404)` };
  if (status !== 200) return { credential, how: `expiry unknown: GitLab answered ${reason} to ${SELF}` };
  if (expiresAt === null) return { credential, how: 'GitLab reports no expiry for it' };
  const ms = typeof expiresAt === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(expiresAt) ? Date.parse(`${expiresAt}T00:00:00Z`) : NaN;
  if (Number.isNaN(ms)) return { credential, how: `expiry unknown: GitLab's expires_at ${JSON.stringify(expiresAt)} could not be read` };
  return { credential, expiresAt: new Date(ms), how: `from GitLab (${SELF})` };
}

export type Urgency = 'none' | 'warning' | 'error';

/** Within 7 days (or past): error; within `warnWithinMs` (at least 30 days): warning; unknown or later: none. */
export function urgencyOf(expiresAt: Date | undefined, now: Date, warnWithinMs = WARN_WITHIN_MS): Urgency {
  if (!expiresAt) return 'none';
  const left = expiresAt.getTime() - now.getTime();
  if (left <= ERROR_WITHIN_MS) return 'error';
  return left <= Math.max(warnWithinMs, WARN_WITHIN_MS) ? 'warning' : 'none';
}

/** A credential's urgency: a refused one is an error whatever its expiry. */
export function credentialUrgency(expiry: CredentialExpiry, now: Date, warnWithinMs = WARN_WITHIN_MS): Urgency {
  return expiry.refused ? 'error' : urgencyOf(expiry.expiresAt, now, warnWithinMs);
}

/** One credential, for the log line: `admin-api-key expires 2026-08-01 12:00 UTC (in 20 days, from its JWT exp claim)`. */
export function footingLine(expiry: CredentialExpiry, now: Date): string {
  if (!expiry.expiresAt) return `${expiry.credential}: ${expiry.how}`;
  const verb = expiry.expiresAt.getTime() <= now.getTime() ? 'expired' : 'expires';
  return `${expiry.credential} ${verb} ${when(expiry.expiresAt)} (${relative(expiry.expiresAt, now)}, ${expiry.how})`;
}

/** The annotation for a credential that runs out soon (or has): what, when, what breaks, and the fix. */
export function footingWarning({ credential, expiresAt, how }: CredentialExpiry, now: Date): string {
  const consequence = CONSEQUENCE[credential];
  const fix = FOOTING_FIX[credential];
  if (!expiresAt) return `${credential}: ${how}: ${consequence}. ${fix}`;
  const words = `${when(expiresAt)} (${relative(expiresAt, now)})`;
  if (expiresAt.getTime() <= now.getTime()) return `${credential} expired on ${words}: ${consequence}. ${fix}`;
  return `${credential} expires ${words}: from then on ${consequence}. ${fix}`;
}
