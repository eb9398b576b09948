// Every run watches its footing: the admin key's and the github-token's expiry, read from what the run saw anyway
// (no extra request), and the GitLab token's (one request, overlapping the run's opening). Every mode but check reports
// it alike: a log line, a warning or error annotation when one runs out soon, two outputs and a summary section.
import {
  adminKeyExpiry,
  footingLine,
  credentialUrgency,
  footingWarning,
  gitHubTokenExpiry,
  gitLabTokenExpiry,
  WARN_WITHIN_MS,
  type CredentialExpiry,
  type GitHubSeen,
  type Standing,
  type Urgency,
} from './footing.ts';
import type { GitLabTokenSeen } from './gitlab/tokens.ts';
import type { ApiKey, KeyService } from './key-service.ts';
import type { Runner } from './runner.ts';
import { text } from './summary.ts';

export class RunFooting {
  private listing: ApiKey[] | undefined;
  private readonly gitHub: GitHubSeen = { answered: false };
  private gitLab: Promise<GitLabTokenSeen> | undefined;
  private gitLabSeen: GitLabTokenSeen | undefined;

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

  /** The GitLab token's answer about itself, asked for at the start of the run (it never rejects). */
  watchGitLabToken(answer: Promise<GitLabTokenSeen> | undefined): void {
    this.gitLab = answer?.then((seen) => (this.gitLabSeen = seen));
  }

  /** Waits for what is still being read (the GitLab token's answer); call before assess. */
  async settled(): Promise<void> {
    await this.gitLab;
  }

  /** The credentials at `now`; `warnWithinMs` (audit's warn-before) widens the 30-day warning, never narrows it. */
  assess(now: Date, warnWithinMs = WARN_WITHIN_MS): Standing {
    const expiries: CredentialExpiry[] = [adminKeyExpiry(this.config.adminApiKey, this.listing)];
    if (this.config.githubToken) expiries.push(gitHubTokenExpiry(this.gitHub));
    if (this.gitLabSeen) expiries.push(gitLabTokenExpiry(this.gitLabSeen));
    return { now, credentials: expiries.map((expiry) => ({ ...expiry, urgency: credentialUrgency(expiry, now, warnWithinMs) })) };
  }

  /** The log line, the annotations, the outputs and the summary section (appended to the mode's). */
  async report(runner: Pick<Runner, 'log' | 'output' | 'summary'>, given?: Standing): Promise<void> {
    await this.settled();
    const standing = given ?? this.assess(new Date());
    const { now, credentials } = standing;
    runner.log.info(`This run stands on: ${credentials.map((expiry) => footingLine(expiry, now)).join('; ')}.`);
    for (const expiry of credentials) {
      if (expiry.urgency !== 'none') runner.log[expiry.urgency](footingWarning(expiry, now));
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
    expiry.urgency !== 'none' ? `- ${ICON[expiry.urgency]}${text(footingWarning(expiry, now))}` : `- ${text(footingLine(expiry, now))}`,
  );
  return `### What this run stands on\n\n${lines.join('\n')}\n`;
}
