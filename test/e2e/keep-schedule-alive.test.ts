// Keeping the schedule alive: a scheduled rotation in a public repository re-enables its own workflow after its
// work (PUT …/actions/workflows/FILE/enable with workflow-token), so that GitHub does not disable the schedule after
// 60 days without activity. Exactly then, and never at the cost of the step.
import { describe, expect } from 'vitest';
import type { GitHubContextOptions } from '../sandbox/runner.ts';
import type { World } from './world.ts';
import { REPO, annotations, expectExit, it } from './world.ts';

const FILE = 'rotate-kubiya-key.yml';
const ENABLE = `/repos/${REPO}/actions/workflows/${FILE}/enable`;

/** A rotation run whose job token (github.token, workflow-token's default) has `permissions: actions: LEVEL`. */
async function rotation(
  world: World,
  options: { github?: GitHubContextOptions; actions?: 'read' | 'write' | 'none'; inputs?: Record<string, string> },
) {
  world.github.addWorkflow(REPO, FILE);
  const jobToken = world.addGitHubToken({ kind: 'github-token', actions: options.actions ?? 'write' });
  const step = await world.run({
    inputs: options.inputs,
    github: { eventName: 'schedule', repositoryPrivate: false, workflowFile: FILE, token: jobToken, ...options.github },
  });
  return { step, enables: world.github.requests.filter((request) => request.path === ENABLE) };
}

describe('keep-schedule-alive', () => {
  it('a scheduled run in a public repository re-enables its workflow once, after the secret is written', async ({ world }) => {
    const { step, enables } = await rotation(world, {});
    expectExit(step, 0);
    expect(enables.map((request) => request.method)).toEqual(['PUT']);
    expect(world.github.workflow(REPO, FILE)?.enableCalls).toBe(1);
    const writes = world.github.requests.filter((request) => request.method === 'PUT');
    expect(writes.at(-1)?.path, 'the enable comes after the secret write').toBe(ENABLE);
    expect(annotations(step, 'warning')).toEqual([]);
  });

  const SKIPPED: { label: string; github?: GitHubContextOptions; inputs?: Record<string, string> }[] = [
    { label: 'a private repository', github: { repositoryPrivate: true } },
    { label: 'a workflow_dispatch run', github: { eventName: 'workflow_dispatch' } },
    { label: 'a push run', github: { eventName: 'push' } },
    { label: 'keep-schedule-alive: false', inputs: { 'keep-schedule-alive': 'false' } },
  ];
  it.for(SKIPPED)('$label sends nothing', async (options, { world }) => {
    const { step, enables } = await rotation(world, options);
    expectExit(step, 0);
    expect(enables).toEqual([]);
    expect(annotations(step, 'warning')).toEqual([]);
  });

  it('a dry-run sends nothing and says what it would do', async ({ world }) => {
    const { step, enables } = await rotation(world, { inputs: { 'dry-run': 'true' } });
    expectExit(step, 0);
    expect(enables).toEqual([]);
    expect(step.stdout).toMatch(/Dry-run: would re-enable workflow rotate-kubiya-key\.yml/);
  });

  it('a refusal (no actions: write) is one warning naming the 60 days and the permission; the step succeeds', async ({ world }) => {
    const { step, enables } = await rotation(world, { actions: 'read' });
    expectExit(step, 0);
    expect(enables).toHaveLength(1);
    expect(world.github.workflow(REPO, FILE)?.enableCalls).toBe(0);
    const warnings = annotations(step, 'warning');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/60 days without a commit.*permissions: actions: write/);
  });

  it('a workflow GitHub does not know (404) is the same one warning', async ({ world }) => {
    const { step } = await rotation(world, { github: { workflowFile: 'renamed.yml' } });
    expectExit(step, 0);
    expect(annotations(step, 'warning')).toEqual([expect.stringMatching(/renamed\.yml.*60 days/)]);
  });
});
