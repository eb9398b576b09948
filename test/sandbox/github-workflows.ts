// The workflows of one emulated repository and their runs, and the Actions endpoints over them:
// get a workflow (by id or file name), list its runs, enable it.
import type { EmulatedRequest, EmulatedResponse } from './http-emulator.ts';
import { githubError } from './github-secrets-endpoints.ts';
import { githubTimestamp } from './github-secrets.ts';

export type WorkflowState = 'active' | 'disabled_inactivity' | 'disabled_manually' | 'disabled_fork' | 'deleted';
export type WorkflowRunStatus = 'queued' | 'in_progress' | 'completed' | 'waiting' | 'requested' | 'pending';
export type WorkflowRunConclusion = 'success' | 'failure' | 'cancelled' | 'skipped' | 'timed_out' | 'action_required' | 'neutral';

/** Live record: tests may edit it (e.g. `state = 'disabled_inactivity'`). */
export interface EmulatedWorkflow {
  id: number;
  node_id: string;
  name: string;
  /** The file name, `rotate-kubiya-key.yml`. */
  file: string;
  state: WorkflowState;
  created_at: string;
  updated_at: string;
  /** Successful `PUT …/enable` calls so far. */
  enableCalls: number;
  /** Newest first. */
  runs: EmulatedWorkflowRun[];
}

export interface EmulatedWorkflowRun {
  id: number;
  run_number: number;
  event: string;
  status: WorkflowRunStatus;
  conclusion: WorkflowRunConclusion | null;
  head_branch: string;
  head_sha: string;
  created_at: string;
  updated_at: string;
}

export interface WorkflowSeed {
  /** The workflow's `name:`; default: the file name. */
  name?: string;
  state?: WorkflowState;
  id?: number;
  createdAt?: Date;
}

export interface WorkflowRunSeed {
  /** Default 'schedule'. */
  event?: string;
  /** Default 'completed'. */
  status?: WorkflowRunStatus;
  /** Default 'success' for a completed run, null otherwise. */
  conclusion?: WorkflowRunConclusion | null;
  headBranch?: string;
  /** Default: now (and after every run added before). */
  createdAt?: Date;
}

/** Where the JSON's links point: the emulator's API base and the web host. */
export interface WorkflowLinks {
  apiBase: string;
  webBase: string;
}

let nextWorkflowId = 161_335;
let nextRunId = 30_433_642;

const WORKFLOWS_DOCS = 'https://docs.github.com/rest/actions/workflows';

export class RepoWorkflows {
  readonly #byFile = new Map<string, EmulatedWorkflow>();
  readonly #fullName: string;

  constructor(fullName: string) {
    this.#fullName = fullName;
  }

  add(file: string, seed: WorkflowSeed = {}): EmulatedWorkflow {
    if (!/^[^/\s]+\.ya?ml$/.test(file)) throw new Error(`addWorkflow: expected a file name like rotate.yml, got ${file}`);
    if (this.#byFile.has(file)) throw new Error(`addWorkflow: ${this.#fullName} already has ${file}`);
    const id = seed.id ?? nextWorkflowId++;
    const created = githubTimestamp(seed.createdAt);
    const workflow: EmulatedWorkflow = {
      id,
      node_id: Buffer.from(`04:Workflow${id}`).toString('base64url'),
      name: seed.name ?? file,
      file,
      state: seed.state ?? 'active',
      created_at: created,
      updated_at: created,
      enableCalls: 0,
      runs: [],
    };
    this.#byFile.set(file, workflow);
    return workflow;
  }

  addRun(workflowId: string | number, seed: WorkflowRunSeed = {}): EmulatedWorkflowRun {
    const workflow = this.find(String(workflowId));
    if (!workflow) throw new Error(`addWorkflowRun: ${this.#fullName} has no workflow ${workflowId}`);
    const status = seed.status ?? 'completed';
    const previous = workflow.runs[0];
    const createdMs = seed.createdAt?.getTime() ?? Math.max(Date.now(), previous ? Date.parse(previous.created_at) + 1000 : 0);
    const created = githubTimestamp(new Date(createdMs));
    const run: EmulatedWorkflowRun = {
      id: nextRunId++,
      run_number: (previous?.run_number ?? 0) + 1,
      event: seed.event ?? 'schedule',
      status,
      conclusion: seed.conclusion !== undefined ? seed.conclusion : status === 'completed' ? 'success' : null,
      head_branch: seed.headBranch ?? 'main',
      head_sha: 'ffac537e6cbbf934b08745a378932722df287a53',
      created_at: created,
      updated_at: created,
    };
    workflow.runs.push(run);
    workflow.runs.sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at) || b.id - a.id);
    return run;
  }

  /** By numeric id or by file name, as GitHub's `{workflow_id}` accepts either. */
  find(workflowId: string): EmulatedWorkflow | undefined {
    const byFile = this.#byFile.get(workflowId);
    if (byFile || !/^\d+$/.test(workflowId)) return byFile;
    return [...this.#byFile.values()].find((workflow) => workflow.id === Number(workflowId));
  }

  all(): EmulatedWorkflow[] {
    return [...this.#byFile.values()];
  }
}

function workflowJson(workflow: EmulatedWorkflow, fullName: string, links: WorkflowLinks): Record<string, unknown> {
  const path = `.github/workflows/${workflow.file}`;
  return {
    id: workflow.id,
    node_id: workflow.node_id,
    name: workflow.name,
    path,
    state: workflow.state,
    created_at: workflow.created_at,
    updated_at: workflow.updated_at,
    url: `${links.apiBase}/repos/${fullName}/actions/workflows/${workflow.id}`,
    html_url: `${links.webBase}/${fullName}/blob/main/${path}`,
    badge_url: `${links.webBase}/${fullName}/workflows/${encodeURIComponent(workflow.name)}/badge.svg`,
  };
}

function runJson(run: EmulatedWorkflowRun, workflow: EmulatedWorkflow, fullName: string, links: WorkflowLinks): Record<string, unknown> {
  return {
    id: run.id,
    name: workflow.name,
    node_id: Buffer.from(`04:WorkflowRun${run.id}`).toString('base64url'),
    head_branch: run.head_branch,
    head_sha: run.head_sha,
    path: `.github/workflows/${workflow.file}`,
    display_title: workflow.name,
    run_number: run.run_number,
    run_attempt: 1,
    event: run.event,
    status: run.status,
    conclusion: run.conclusion,
    workflow_id: workflow.id,
    url: `${links.apiBase}/repos/${fullName}/actions/runs/${run.id}`,
    html_url: `${links.webBase}/${fullName}/actions/runs/${run.id}`,
    created_at: run.created_at,
    updated_at: run.updated_at,
    run_started_at: run.created_at,
  };
}

/** `per_page` (1–100, default 30) and `page` (default 1), as GitHub reads them. */
function pageOf<T>(items: T[], query: URLSearchParams): T[] {
  const perPage = Math.min(100, Math.max(1, Number.parseInt(query.get('per_page') ?? '30', 10) || 30));
  const page = Math.max(1, Number.parseInt(query.get('page') ?? '1', 10) || 1);
  return items.slice((page - 1) * perPage, page * perPage);
}

/**
 * One of the workflow routes of `github-routes.ts`, for a repository the token sees and may use as the
 * method needs (the emulator checks `actions: read`/`write` before this).
 */
export function workflowsEndpoint(
  req: EmulatedRequest,
  route: string,
  workflowId: string | undefined,
  repo: { fullName: string; workflows: RepoWorkflows },
  links: WorkflowLinks,
): EmulatedResponse {
  const { fullName, workflows } = repo;
  if (workflowId === undefined) {
    const listed = pageOf(workflows.all(), req.query).map((workflow) => workflowJson(workflow, fullName, links));
    return { status: 200, body: { total_count: workflows.all().length, workflows: listed } };
  }
  const workflow = workflows.find(workflowId);
  if (!workflow) return githubError(404, 'Not Found', `${WORKFLOWS_DOCS}#get-a-workflow`);
  if (route.endsWith('/runs')) {
    const runs = pageOf(workflow.runs, req.query).map((run) => runJson(run, workflow, fullName, links));
    return { status: 200, body: { total_count: workflow.runs.length, workflow_runs: runs } };
  }
  if (route.endsWith('/enable')) {
    // GitHub does not document this case; the emulator refuses to revive a deleted workflow's file.
    if (workflow.state === 'deleted') return githubError(422, 'Unable to enable a deleted workflow', `${WORKFLOWS_DOCS}#enable-a-workflow`);
    workflow.state = 'active';
    workflow.updated_at = githubTimestamp();
    workflow.enableCalls += 1;
    return { status: 204 };
  }
  return { status: 200, body: workflowJson(workflow, fullName, links) };
}
