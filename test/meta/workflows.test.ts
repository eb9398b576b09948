// What actionlint cannot see: how the workflows and examples use this action and its reusable workflow
// (declared inputs only, required ones given), that every rotation runs under a concurrency group, that no
// secret is expanded into a shell script, and that CI runs what the project's scripts define.
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { isRotateWorkflow, isThisAction, readActionMetadata, readText, readWorkflow, steps, workflowPaths } from './project-files.ts';
import type { Concurrency, Job, Step, Workflow, WorkflowFile } from './project-files.ts';

const action = readActionMetadata();
const files = workflowPaths().map(readWorkflow);
const examples = files.filter((file) => file.path.startsWith('examples/'));
const rotateWorkflow = readWorkflow('.github/workflows/rotate.yml').workflow;
const rotateCall = rotateWorkflow.on.workflow_call!;
const byPath = (path: string): WorkflowFile => files.find((file) => file.path === path)!;

/** Problems with one `uses:` of the action: undeclared inputs, missing required inputs. */
function actionInputProblems(step: Step): string[] {
  const given = Object.keys(step.with ?? {});
  return [
    ...given.filter((name) => !(name in action.inputs)).map((name) => `input '${name}' is not declared in action.yml`),
    ...Object.entries(action.inputs)
      .filter(([name, input]) => (input.required === true || requiredByMode(step).includes(name)) && !given.includes(name))
      .map(([name]) => `required input '${name}' is not given`),
  ];
}

/** What a mode requires that action.yml cannot mark required: admin-api-key in every mode but check, api-key in check. */
function requiredByMode(step: Step): string[] {
  return String(step.with?.['mode'] ?? 'rotate') === 'check' ? ['api-key'] : ['admin-api-key'];
}

function rotateCallProblems(job: Job): string[] {
  const inputs = rotateCall.inputs ?? {};
  const secrets = rotateCall.secrets ?? {};
  const given = Object.keys(job.with ?? {});
  const problems = [
    ...given.filter((name) => !(name in inputs)).map((name) => `input '${name}' is not declared by rotate.yml`),
    ...Object.entries(inputs)
      .filter(([name, input]) => input.required === true && !given.includes(name))
      .map(([name]) => `required input '${name}' is not given`),
  ];
  if (job.secrets === 'inherit') return problems;
  const passed = Object.keys(job.secrets ?? {});
  return [
    ...problems,
    ...passed.filter((name) => !(name in secrets)).map((name) => `secret '${name}' is not declared by rotate.yml`),
    ...Object.entries(secrets)
      .filter(([name, secret]) => secret.required === true && !passed.includes(name))
      .map(([name]) => `required secret '${name}' is not passed`),
  ];
}

/** A step of the action that can change keys or secrets: rotate or revoke mode, not a literal dry-run or an audit. */
function changesKeys(step: Step): boolean {
  if (!isThisAction(step.uses)) return false;
  const mode = String(step.with?.['mode'] ?? 'rotate');
  const dryRun = String(step.with?.['dry-run'] ?? 'false');
  return !['mint', 'audit', 'check'].includes(mode) && !/^(true|True|TRUE)$/.test(dryRun);
}

function serialised(concurrency: string | Concurrency | undefined): boolean {
  if (concurrency === undefined) return false;
  return typeof concurrency === 'string' || concurrency['cancel-in-progress'] === false || concurrency['cancel-in-progress'] === undefined;
}

describe('uses of the action', () => {
  const uses = files.flatMap(({ path, workflow }) =>
    [...steps(workflow)]
      .filter(({ step }) => isThisAction(step.uses))
      .map(({ jobId, step }) => ({ where: `${path} (${jobId}/${step.id ?? step.name ?? step.uses})`, step })),
  );

  it('exist in the workflows and in every example but the reusable-workflow caller', () => {
    const users = new Set(uses.map(({ where }) => where.split(' ')[0]));
    for (const { path } of examples) {
      if (path !== 'examples/reusable-workflow.yml') expect(users, path).toContain(path);
    }
    expect(users).toContain('.github/workflows/rotate.yml');
  });

  it.each(uses.map(({ where, step }) => [where, step] as const))(
    '%s gives only declared inputs, and every required one',
    (_where, step) => {
      expect(actionInputProblems(step)).toEqual([]);
    },
  );

  it('detects an undeclared or a missing input', () => {
    expect(actionInputProblems({ uses: './', with: { 'admin-api-key': 'x', 'secret-nmae': 'X' } })).toEqual([
      "input 'secret-nmae' is not declared in action.yml",
    ]);
    expect(actionInputProblems({ uses: './', with: {} })).toEqual(["required input 'admin-api-key' is not given"]);
    expect(actionInputProblems({ uses: './', with: { mode: 'check' } })).toEqual(["required input 'api-key' is not given"]);
  });

  it('is pinned to @v1 in the examples and the reusable workflow, and is ./ in the project workflows', () => {
    for (const { where, step } of uses) {
      const file = where.split(' ')[0]!;
      if (file.startsWith('examples/') || file === '.github/workflows/rotate.yml')
        expect(step.uses, where).toBe('kubiya/api-key-action@v1');
      else expect(step.uses, where).toBe('./');
    }
  });
});

describe('the reusable workflow .github/workflows/rotate.yml', () => {
  const job = rotateWorkflow.jobs['rotate']!;
  const step = job.steps!.find((candidate) => isThisAction(candidate.uses))!;
  const inputs = rotateCall.inputs!;

  it('mirrors action inputs and passes each to the action under the same name', () => {
    const mirrored = Object.keys(inputs).filter((name) => name !== 'runs-on');
    expect(mirrored).toEqual(
      expect.arrayContaining(['repositories', 'secret-name', 'ttl', 'grace-period', 'dry-run', 'kubiya-api-url', 'key-name-prefix']),
    );
    for (const name of mirrored) {
      expect(action.inputs, name).toHaveProperty([name]);
      expect(String(step.with?.[name]), name).toContain(`inputs.${name}`);
    }
    expect(step.with?.['mode']).toBe('${{ inputs.mode }}');
    expect(inputs['mode']?.default).toBe('rotate');
  });

  it('keeps the action defaults that do not depend on the run', () => {
    for (const [name, input] of Object.entries(inputs)) {
      const actionDefault = action.inputs[name]?.default;
      if (typeof actionDefault === 'string' && !actionDefault.includes('${{')) expect(String(input.default), name).toBe(actionDefault);
    }
  });

  it('requires the admin key (the GitHub token only rotate needs: the action says so) and passes them on', () => {
    expect(rotateCall.secrets).toEqual({
      'admin-api-key': expect.objectContaining({ required: true }),
      'github-token': expect.objectContaining({ required: false }),
    });
    expect(step.with?.['admin-api-key']).toBe('${{ secrets.admin-api-key }}');
    expect(step.with?.['github-token']).toBe('${{ secrets.github-token }}');
  });

  it('passes the action outputs through', () => {
    for (const name of ['results', 'revoked-key-ids', 'key-id', 'key-name', 'expires-at']) {
      expect(action.outputs, name).toHaveProperty([name]);
      expect(rotateCall.outputs?.[name]?.value, name).toBe(`\${{ jobs.rotate.outputs.${name} }}`);
      expect(job.outputs?.[name], name).toBe(`\${{ steps.${step.id}.outputs.${name} }}`);
    }
  });

  it('rotates under a concurrency group keyed by the secret, never cancelling a rotation in progress', () => {
    expect(job.concurrency).toEqual({ group: expect.stringContaining('${{ inputs.secret-name }}'), 'cancel-in-progress': false });
  });

  it.each(
    files.flatMap(({ path, workflow }) =>
      Object.entries(workflow.jobs)
        .filter(([, j]) => isRotateWorkflow(j.uses))
        .map(([id, j]) => [`${path} (${id})`, j] as const),
    ),
  )('%s calls it with declared inputs and secrets only, and every required one', (_where, caller) => {
    expect(rotateCallProblems(caller)).toEqual([]);
    expect(caller.uses).toBe('kubiya/api-key-action/.github/workflows/rotate.yml@v1');
  });

  it('detects a call with an undeclared input or a missing secret', () => {
    expect(rotateCallProblems({ uses: './.github/workflows/rotate.yml', with: { tll: '30d' }, secrets: { 'github-token': 'x' } })).toEqual([
      "input 'tll' is not declared by rotate.yml",
      "required secret 'admin-api-key' is not passed",
    ]);
  });
});

describe('every workflow', () => {
  it.each(files.map((file) => [file.path, file.workflow] as const))('%s sets permissions for every job', (_path, workflow) => {
    for (const [id, job] of Object.entries(workflow.jobs)) {
      if (job.uses) continue; // a reusable workflow's jobs set their own, capped by the caller's
      expect(workflow.permissions ?? job.permissions, id).toBeDefined();
    }
  });

  it.each(files.map((file) => [file.path, file.workflow] as const))(
    '%s rotates and revokes only under a concurrency group that never cancels',
    (_path, workflow) => {
      for (const { jobId, job, step } of steps(workflow)) {
        if (changesKeys(step)) expect(serialised(job.concurrency) || serialised(workflow.concurrency), jobId).toBe(true);
      }
    },
  );

  it('the concurrency rule catches a rotation without a group', () => {
    const workflow = parse(readText('examples/scheduled-rotation.yml')) as Workflow;
    delete workflow.concurrency;
    const flagged = [...steps(workflow)].filter(
      ({ job, step }) => changesKeys(step) && !serialised(job.concurrency) && !serialised(workflow.concurrency),
    );
    expect(flagged).toHaveLength(1);
  });

  it.each(files.map((file) => [file.path, file.workflow] as const))(
    '%s expands no secret and no minted key into a shell script',
    (_path, workflow) => {
      for (const { step } of steps(workflow)) {
        expect(step.run ?? '').not.toMatch(/\$\{\{[^}]*(secrets\.|outputs\.api-key)/);
      }
    },
  );
});

describe('the examples', () => {
  it.each(examples.map((file) => [file.path, file.source] as const))('%s opens with a comment saying what it does', (_path, source) => {
    expect(source).toMatch(/^# \S.*\n(#.*\n)+/);
  });

  it('use the mint output and the exported variable in the deploy example', () => {
    const workflow = byPath('examples/mint-in-deploy-job.yml').workflow;
    const all = [...steps(workflow)].map(({ step }) => step);
    const mint = all.find((step) => isThisAction(step.uses))!;
    expect(mint.with?.['mode']).toBe('mint');
    expect(all.some((step) => step.run?.includes('KUBIYA_API_KEY'))).toBe(true);
    expect(all.some((step) => Object.values(step.env ?? {}).includes(`\${{ steps.${mint.id}.outputs.api-key }}`))).toBe(true);
  });

  it('mint a GitHub App token that can write secrets in the app example', () => {
    const app = [...steps(byPath('examples/github-app-token.yml').workflow)].find(({ step }) =>
      step.uses?.startsWith('actions/create-github-app-token@'),
    );
    expect(app?.step.with).toMatchObject({ 'permission-secrets': 'write', 'client-id': expect.any(String) });
  });
});

describe('CI', () => {
  const ci = byPath('.github/workflows/ci.yml').workflow;
  const scripts = (JSON.parse(readText('package.json')) as { scripts: Record<string, string> }).scripts;
  const runs = [...steps(ci)].map(({ step }) => step.run ?? '').join('\n');

  it('runs the lockfile install, format check, lint, type check, tests and the dist check', () => {
    for (const command of ['npm ci', 'npm run format:check', 'npm run lint', 'npm run typecheck', 'npm test', 'npm run check-dist']) {
      expect(runs).toContain(command);
    }
  });

  it('runs only npm scripts that package.json defines', () => {
    const named = [...runs.matchAll(/npm run ([\w:-]+)/g)].map((match) => match[1]!);
    expect(named.filter((name) => !(name in scripts))).toEqual([]);
  });

  it('uses Node 24', () => {
    const setups = [...steps(ci)].filter(({ step }) => step.uses?.startsWith('actions/setup-node@'));
    expect(setups.length).toBeGreaterThan(0);
    for (const { step } of setups) expect(String(step.with?.['node-version'])).toBe('24');
  });

  it('runs the action from the checkout as a dry-run, only when the admin key secret is present', () => {
    const job = ci.jobs['action-dry-run']!;
    const step = job.steps!.find((candidate) => candidate.uses === './')!;
    expect(String(step.with?.['dry-run'])).toBe('true');
    expect(job.if).toContain("needs.secrets-gate.outputs.present == 'true'");
    expect(job.permissions).toEqual({ contents: 'read' });
    const gate = ci.jobs['secrets-gate']!.steps![0]!;
    expect(gate.env?.['PRESENT']).toBe("${{ secrets.KUBIYA_ADMIN_API_KEY != '' }}");
  });
});

describe('the canary', () => {
  const canary = byPath('.github/workflows/canary.yml').workflow;

  it('mints from the checkout, then rotates a dedicated secret, each only when its secrets are configured', () => {
    const actionSteps = [...steps(canary)].filter(({ step }) => step.uses === './');
    expect(actionSteps.map(({ jobId, step }) => [jobId, step.with?.['mode'] ?? 'rotate'])).toEqual([
      ['mint', 'mint'],
      ['rotate', 'rotate'],
    ]);
    expect(actionSteps[1]?.step.with?.['secret-name']).toBe('KUBIYA_CANARY_API_KEY');
    expect(canary.jobs['mint']?.if).toContain("needs.gate.outputs.kubiya == 'true'");
    expect(canary.jobs['rotate']?.if).toContain("needs.gate.outputs.github == 'true'");
  });

  it('runs only checks that scripts/canary-check.ts has', () => {
    const checks = [...steps(canary)].flatMap(({ step }) =>
      [...(step.run ?? '').matchAll(/canary-check\.ts (\S+)/g)].map((match) => match[1]!),
    );
    expect(new Set(checks)).toEqual(new Set(['authenticates', 'listed', 'revoked', 'secret-updated', 'slot']));
  });
});

describe('supply chain', () => {
  /** Every `uses:` line of a workflow source: the reference and the comment after it. */
  const usesLines = (source: string) =>
    [...source.matchAll(/^\s*(?:-\s+)?uses:\s*(\S+)[ \t]*(#.*)?$/gm)].map((match) => ({ uses: match[1]!, comment: match[2] ?? '' }));
  const firstParty = (uses: string) => uses.startsWith('./') || isThisAction(uses) || isRotateWorkflow(uses);

  /** A third-party action not pinned to a full commit SHA with its version in a comment, as a problem. */
  function pinProblems(source: string): string[] {
    return usesLines(source)
      .filter(({ uses }) => !firstParty(uses))
      .flatMap(({ uses, comment }) =>
        /@[0-9a-f]{40}$/.test(uses) && /^# v\d+\.\d+\.\d+$/.test(comment) ? [] : [`${uses} ${comment}`.trim()],
      );
  }

  it.each(files.map((file) => [file.path, file.source] as const))(
    '%s pins every third-party action to a full commit SHA, its version in a comment',
    (_path, source) => {
      expect(pinProblems(source)).toEqual([]);
    },
  );

  it('the pin rule catches a tag, a short SHA and a SHA without its version', () => {
    const sha = 'a'.repeat(40);
    expect(
      pinProblems(
        [
          `      - uses: actions/checkout@v7`,
          `      - uses: actions/checkout@${sha.slice(0, 7)} # v7.0.1`,
          `        uses: actions/setup-node@${sha}`,
          `      - uses: actions/setup-node@${sha} # v7.0.0`,
          `      - uses: ./`,
        ].join('\n'),
      ),
    ).toEqual(['actions/checkout@v7', `actions/checkout@${sha.slice(0, 7)} # v7.0.1`, `actions/setup-node@${sha}`]);
  });

  it('names one version for each pinned commit across all workflows and examples', () => {
    const versions = new Map<string, Set<string>>();
    for (const { source } of files) {
      for (const { uses, comment } of usesLines(source)) {
        if (firstParty(uses)) continue;
        const commit = uses.replace(/^([^/]+\/[^/@]+)[^@]*/, '$1'); // one repository, whatever its sub-action
        versions.set(commit, new Set([...(versions.get(commit) ?? []), comment]));
      }
    }
    expect([...versions].filter(([, comments]) => comments.size > 1)).toEqual([]);
  });

  it('reviews the dependencies of every pull request to main', () => {
    const review = byPath('.github/workflows/dependency-review.yml').workflow;
    expect(review.on).toHaveProperty('pull_request');
    const step = [...steps(review)].find(({ step }) => step.uses?.startsWith('actions/dependency-review-action@'));
    expect(step?.step.with?.['fail-on-severity']).toBeDefined();
  });

  it('has Dependabot update npm packages and the pinned actions', () => {
    const config = parse(readText('.github/dependabot.yml')) as { updates: { 'package-ecosystem': string }[] };
    expect(config.updates.map((update) => update['package-ecosystem']).sort()).toEqual(['github-actions', 'npm']);
  });
});
