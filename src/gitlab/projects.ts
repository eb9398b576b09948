// A project named by its numeric id, resolved to its path (`GET /projects/:id`), so that key names never depend on
// how the project was named.
import { ServiceError } from '../service-error.ts';
import type { GitLabHttp } from './http.ts';

export async function projectPath(http: GitLabHttp, id: string): Promise<string> {
  const response = await http.send('GET', `/projects/${encodeURIComponent(id)}`, { what: `reading project ${id}` });
  const path = (response.body as { path_with_namespace?: unknown } | undefined)?.path_with_namespace;
  if (response.status === 200 && typeof path === 'string' && path.includes('/')) return path;
  const why =
    response.status === 401
      ? 'the GitLab token (GITLAB_TOKEN) is invalid, revoked or expired'
      : response.status === 404 || response.status === 403
        ? 'it does not exist or the GitLab token (GITLAB_TOKEN) cannot see it'
        : http.reason(response);
  throw new ServiceError(`GitLab project ${id} could not be resolved to its path: ${why}`, { status: response.status });
}
