// Every run watches its footing: the admin key's and the github-token's expiry, read from what the run saw anyway
// (no extra request), reported the same way by every mode but check — one log line, a warning or error annotation
// when either runs out soon, the outputs admin-key-expires-at and github-token-expires-at, and a summary section.
import {
  adminKeyExpiry,
  footingLine,
  footingWarning,
  gitHubTokenExpiry,
  urgencyOf,
  WARN_WITHIN_MS,
  type GitHubSeen,
  type Standing,
  type Urgency,
} from './footing.ts';
import type { ApiKey, KeyService } from './key-service.ts';
import type { Runner } from './runner.ts';
import { text } from './summary.ts';

export class RunFooting {
  private listing: ApiKey[] | undefined;
  private readonly gitHub: GitHubSeen = { answered: false };

  private readonly config: { adminApiKey: string; githubToken?: string };

  constructor(config: { adminApiKey: string; githubToken?: string }) {
    this.config = config;
  }

  /** The Kubiya client, its key lists remembered: the admin key's own entry gives its expiry when its JWT does not. */
  keys(service: KeyService): KeyService {
    return {
      authenticate: (key) => service.authenticate(key),
      listKeys: async () => (this.listing = await service.listKeys()),
      createKey: (request, reconcile) => service.createKey(request, reconcile),
      revokeKey: (id) => service.revokeKey(id),
    };
  }

  /** Given to the GitHub client: each answer's `github-authentication-token-expiration` header (undefined: none). */
  readonly gitHubAnswered = (header: string | undefined): void => {
    this.gitHub.answered = true;
    if (header !== undefined) this.gitHub.header = header;
  };

  /** The credentials at `now`; `warnWithinMs` (audit's warn-before) widens the 30-day warning, never narrows it. */
  assess(now: Date, warnWithinMs = WARN_WITHIN_MS): Standing {
    const expiries = [adminKeyExpiry(this.config.adminApiKey, this.listing)];
    if (this.config.githubToken) expiries.push(gitHubTokenExpiry(this.gitHub));
    return { now, credentials: expiries.map((expiry) => ({ ...expiry, urgency: urgencyOf(expiry.expiresAt, now, warnWithinMs) })) };
  }

  /** The log line, the annotations, the outputs and the summary section (appended to the mode's). */
  async report(runner: Pick<Runner, 'log' | 'output' | 'summary'>, standing = this.assess(new Date())): Promise<void> {
    const { now, credentials } = standing;
    runner.log.info(`This run stands on: ${credentials.map((expiry) => footingLine(expiry, now)).join('; ')}.`);
    for (const expiry of credentials) {
      if (expiry.urgency === 'none' || !expiry.expiresAt) continue;
      runner.log[expiry.urgency](footingWarning({ ...expiry, expiresAt: expiry.expiresAt }, now));
    }
    const at = (credential: string) => credentials.find((expiry) => expiry.credential === credential)?.expiresAt?.toISOString() ?? '';
    runner.output('admin-key-expires-at', at('admin-api-key'));
    runner.output('github-token-expires-at', at('github-token'));
    await runner.summary(footingSummary(standing));
  }
}

const ICON: Record<Urgency, string> = { none: '', warning: '⚠️ ', error: '❌ ' };

/** `### What this run stands on`, one line per credential; the fix where one runs out soon. */
export function footingSummary({ now, credentials }: Standing): string {
  const lines = credentials.map((expiry) =>
    expiry.urgency !== 'none' && expiry.expiresAt
      ? `- ${ICON[expiry.urgency]}${text(footingWarning({ ...expiry, expiresAt: expiry.expiresAt }, now))}`
      : `- ${text(footingLine(expiry, now))}`,
  );
  return `### What this run stands on\n\n${lines.join('\n')}\n`;
}
