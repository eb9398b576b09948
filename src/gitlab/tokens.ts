// The GitLab token's own record: `GET /personal_access_tokens/self` answers for personal, project and group access
// tokens alike, with its `expires_at`. What it means for the run is src/footing.ts's to say; this only asks.
import { errorMessage } from '../service-error.ts';
import { GitLabHttp, type GitLabHttpOptions } from './http.ts';

/** GitLab's answer about the token: its status and `expires_at` (`YYYY-MM-DD`; null: it does not expire), or why none came. */
export type GitLabTokenSeen = { status: number; expiresAt?: unknown; reason: string } | { error: string };

export async function readTokenSelf(options: GitLabHttpOptions): Promise<GitLabTokenSeen> {
  const http = new GitLabHttp(options);
  try {
    const response = await http.send('GET', '/personal_access_tokens/self', { what: "reading the GitLab token's expiry" });
    const expiresAt = (response.body as { expires_at?: unknown } | undefined)?.expires_at;
    return { status: response.status, expiresAt, reason: http.reason(response) };
  } catch (error) {
    return { error: errorMessage(error) };
  }
}
