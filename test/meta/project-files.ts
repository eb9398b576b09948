// The project's workflow files and action metadata, parsed once for the meta tests.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

export const repoRoot = path.resolve(import.meta.dirname, '../..');

export type Scalar = string | number | boolean | null;

export interface Step {
  id?: string;
  name?: string;
  if?: string | boolean;
  uses?: string;
  run?: string;
  with?: Record<string, Scalar>;
  env?: Record<string, Scalar>;
}

export interface Concurrency {
  group: string;
  'cancel-in-progress'?: boolean | string;
}

export interface Job {
  name?: string;
  needs?: string | string[];
  if?: string | boolean;
  'runs-on'?: string | string[];
  permissions?: unknown;
  concurrency?: string | Concurrency;
  outputs?: Record<string, string>;
  steps?: Step[];
  /** A call of a reusable workflow. */
  uses?: string;
  with?: Record<string, Scalar>;
  secrets?: 'inherit' | Record<string, string>;
}

export interface WorkflowCallInput {
  description?: string;
  type: 'string' | 'boolean' | 'number';
  required?: boolean;
  default?: Scalar;
}

export interface Workflow {
  name?: string;
  on: Record<string, unknown> & {
    workflow_call?: {
      inputs?: Record<string, WorkflowCallInput>;
      secrets?: Record<string, { description?: string; required?: boolean }>;
      outputs?: Record<string, { description?: string; value: string }>;
    };
  };
  permissions?: unknown;
  concurrency?: string | Concurrency;
  env?: Record<string, Scalar>;
  jobs: Record<string, Job>;
}

export interface WorkflowFile {
  /** Relative to the repository root, e.g. `examples/manual-dispatch.yml`. */
  path: string;
  source: string;
  workflow: Workflow;
}

export interface ActionMetadata {
  name: string;
  description: string;
  author?: string;
  branding?: { icon?: string; color?: string };
  inputs: Record<string, { description?: string; required?: boolean; default?: Scalar }>;
  outputs: Record<string, { description?: string }>;
  runs: { using: string; main?: string; post?: string; pre?: string };
}

export function readText(relativePath: string): string {
  return readFileSync(path.join(repoRoot, relativePath), 'utf8');
}

export function workflowPaths(): string[] {
  return ['.github/workflows', 'examples'].flatMap((dir) =>
    readdirSync(path.join(repoRoot, dir))
      .filter((file) => /\.ya?ml$/.test(file))
      .sort()
      .map((file) => `${dir}/${file}`),
  );
}

export function readWorkflow(relativePath: string): WorkflowFile {
  const source = readText(relativePath);
  return { path: relativePath, source, workflow: parse(source) as Workflow };
}

export function readActionMetadata(): ActionMetadata {
  return parse(readText('action.yml')) as ActionMetadata;
}

/** `uses:` of this action: from the checkout (`./`) or published (`kubiya/api-key-action@ref`). */
export function isThisAction(uses: string | undefined): boolean {
  return uses === './' || (uses?.startsWith('kubiya/api-key-action@') ?? false);
}

/** `uses:` of this project's reusable rotation workflow. */
export function isRotateWorkflow(uses: string | undefined): boolean {
  return uses === './.github/workflows/rotate.yml' || (uses?.startsWith('kubiya/api-key-action/.github/workflows/rotate.yml@') ?? false);
}

export function* steps(workflow: Workflow): Generator<{ jobId: string; job: Job; step: Step }> {
  for (const [jobId, job] of Object.entries(workflow.jobs)) {
    for (const step of job.steps ?? []) yield { jobId, job, step };
  }
}
