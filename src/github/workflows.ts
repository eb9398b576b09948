// A thin client for the three GitHub workflow endpoints the action uses (read a workflow, its latest run, enable it),
// over the one HTTP stack (../http-exchange.ts) and not Octokit: check mode and the keep-alive run on every job's
// path, so they load neither Octokit nor libsodium (scripts/build.ts keeps this file out of the Octokit chunk).
import { httpExchange, parseJson, type HttpAnswer, type HttpTransport } from '../http-exchange.ts';
import { sendWithRetries, type RequestSettings } from '../retry.ts';
import { ServiceError } from '../service-error.ts';

export interface Workflow {
  name: string;
  /** `active`, `disabled_inactivity`, `disabled_manually`, … as GitHub says it */
  state: string;
  htmlUrl?: string;
}

export interface WorkflowRun {
  id: number;
  status: string;
  /** null while the run is not completed */
  conclusion: string | null;
  event?: string;
  htmlUrl?: string;
  createdAt?: Date;
}

export interface WorkflowsOptions extends RequestSettings {
  /** github-api-url */
  baseUrl: string;
  /** workflow-token */
  token: string;
  /** `owner/repo` */
  repository: string;
}

const DOCS = 'https://docs.github.com/rest/actions/workflows';

/** The workflows of one repository, read and enabled with workflow-token. */
export class GitHubWorkflows {
  private readonly exchange: HttpTransport;
  private readonly options: WorkflowsOptions;

  constructor(options: WorkflowsOptions) {
    this.options = options;
    this.exchange = httpExchange({ ...options, what: 'GitHub', urlInput: 'github-api-url' });
  }

  async workflow(file: string): Promise<Workflow> {
    const body = asObject(await this.request('GET', file, '', `reading workflow ${file}`));
    return { name: stringOf(body['name']) ?? file, state: stringOf(body['state']) ?? 'unknown', htmlUrl: stringOf(body['html_url']) };
  }

  /** The newest run of the workflow, undefined when it never ran. */
  async latestRun(file: string): Promise<WorkflowRun | undefined> {
    const body = asObject(await this.request('GET', file, '/runs?per_page=1', `reading the runs of workflow ${file}`));
    const runs = Array.isArray(body['workflow_runs']) ? (body['workflow_runs'] as unknown[]) : [];
    const run = runs[0] === undefined ? undefined : asObject(runs[0]);
    if (!run) return undefined;
    const created = stringOf(run['created_at']);
    return {
      id: Number(run['id']),
      status: stringOf(run['status']) ?? 'unknown',
      conclusion: stringOf(run['conclusion']) ?? null,
      event: stringOf(run['event']),
      htmlUrl: stringOf(run['html_url']),
      createdAt: created && !Number.isNaN(Date.parse(created)) ? new Date(created) : undefined,
    };
  }

  /** PUT …/enable: enables a disabled workflow, and for an active one resets GitHub's 60-day inactivity clock. */
  async enable(file: string): Promise<void> {
    await this.request('PUT', file, '/enable', `enabling workflow ${file}`);
  }

  /** One request, retried on 5xx, 429 and no answer by the shared policy; a failure as a one-line ServiceError. */
  private async request(method: string, file: string, tail: string, action: string): Promise<unknown> {
    const [owner, repo] = this.options.repository.split('/');
    const path = `/repos/${encodeURIComponent(owner ?? '')}/${encodeURIComponent(repo ?? '')}/actions/workflows/${encodeURIComponent(file)}`;
    const url = `${this.options.baseUrl.replace(/\/+$/, '')}${path}${tail}`;
    const headers = {
      accept: 'application/vnd.github+json',
      authorization: `Bearer ${this.options.token}`,
      'x-github-api-version': '2022-11-28',
    };
    const { answer, attempts } = await sendWithRetries(this.options.retry, () => this.exchange(method, url, headers, null));
    if (!answer) {
      // Like every client's: "did not answer" only when an attempt may have reached GitHub, else "nothing was sent".
      const scrub = (text: string) => text.split(this.options.token).join('***');
      throw attempts.noAnswer({ name: 'GitHub', at: this.options.baseUrl, urlInput: 'github-api-url' }, action, scrub);
    }
    if (answer.status >= 200 && answer.status < 300) return parseJson(answer.text);
    throw this.failure(method, file, action, answer);
  }

  private failure(method: string, file: string, action: string, answer: HttpAnswer): ServiceError {
    const { status } = answer;
    const body = asObject(parseJson(answer.text));
    const message = stringOf(body['message'])?.replace(/\s+/g, ' ').slice(0, 200);
    const reason = message ? `HTTP ${status}: ${message}` : `HTTP ${status}`;
    const { repository } = this.options;
    const failed = (text: string) => new ServiceError(text, { status });
    if (status === 404) {
      return failed(
        `GitHub has no workflow ${file} in ${repository} (${reason}): the name is the file's in .github/workflows/, e.g. rotate-kubiya-key.yml`,
      );
    }
    if (status === 401) {
      return failed(`GitHub rejected workflow-token while ${action} of ${repository} (${reason}): pass a token of this run`);
    }
    if (status === 403) {
      const permission = method === 'GET' ? 'actions: read' : 'actions: write';
      return failed(
        `GitHub refused ${action} of ${repository} (${reason}): workflow-token needs \`permissions: ${permission}\` in the job (see ${DOCS})`,
      );
    }
    return failed(`GitHub failed ${action} of ${repository} (${reason})`);
  }
}

function asObject(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
