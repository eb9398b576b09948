// A project's pipeline schedule, read for check mode (`GET /projects/:id/pipeline_schedules/:schedule_id`): whether it
// is active, when it runs next, and how its last pipeline ended. A refusal names the token and role it needs.
import { ServiceError } from '../service-error.ts';
import { GitLabHttp, type GitLabHttpOptions } from './http.ts';

export interface PipelineSchedule {
  id: number;
  description?: string;
  active: boolean;
  nextRunAt?: Date;
  /** undefined: it never ran */
  lastPipeline?: { id: number; status: string; webUrl?: string };
}

export async function readPipelineSchedule(options: GitLabHttpOptions, project: string, id: string): Promise<PipelineSchedule> {
  const http = new GitLabHttp(options);
  const what = `pipeline schedule ${id} of project ${project}`;
  const response = await http.send('GET', `/projects/${encodeURIComponent(project)}/pipeline_schedules/${encodeURIComponent(id)}`, {
    what: `reading ${what}`,
  });
  const body = response.body as Record<string, unknown> | undefined;
  if (response.status === 200 && body && typeof body['active'] === 'boolean') return scheduleOf(body, Number(id));
  const status = response.status;
  const token = 'GITLAB_TOKEN';
  const why =
    status === 401
      ? `${token} is invalid, revoked or expired`
      : status === 403
        ? `${token} may not read it: it needs the read_api (or api) scope and at least the Reporter role on ${project}`
        : status === 404
          ? `GitLab has no ${what}, or ${token} cannot see the project`
          : 'GitLab did not answer with a pipeline schedule';
  throw new ServiceError(`Could not read ${what} (${http.reason(response)}): ${why}`, { status });
}

function scheduleOf(body: Record<string, unknown>, id: number): PipelineSchedule {
  const next = typeof body['next_run_at'] === 'string' ? new Date(body['next_run_at']) : undefined;
  const last = body['last_pipeline'] as Record<string, unknown> | null | undefined;
  const lastPipeline =
    last && typeof last['status'] === 'string'
      ? {
          id: Number(last['id']),
          status: last['status'],
          ...(typeof last['web_url'] === 'string' && { webUrl: last['web_url'] }),
        }
      : undefined;
  return {
    id: typeof body['id'] === 'number' ? body['id'] : id,
    ...(typeof body['description'] === 'string' && { description: body['description'] }),
    active: body['active'] === true,
    ...(next && !Number.isNaN(next.getTime()) && { nextRunAt: next }),
    ...(lastPipeline && { lastPipeline }),
  };
}
