// Runs a built JavaScript action the way the GitHub Actions runner does: action.yml defaults
// (with `${{ }}` expressions), INPUT_* variables with hyphens kept, the file commands
// (GITHUB_OUTPUT/STATE/ENV/PATH/STEP_SUMMARY), workflow commands on stdout/stderr, masking,
// and the post step fed with STATE_* — so e2e tests see what a workflow run would.
//
// action.yml and `${{ }}` expressions: ./action-metadata.ts; the job's contexts, directories and
// variables: ./job-context.ts; file and workflow commands, masking: ./workflow-commands.ts.
// Everything the tests and scripts use is exported from here.
import { spawn } from 'node:child_process';
import { access, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { actionUnderTest } from './action-bundle.ts';
import { evaluateTemplate, readActionMetadata, type ExprValue } from './action-metadata.ts';
import { summaryText } from './rendered-summary.ts';
import { createStepLayout, githubContext, runnerContext, runnerVariables, type GitHubContextOptions } from './job-context.ts';
import { parseFileCommand, processCommands, type LogLine, type LogStream, type WorkflowCommand } from './workflow-commands.ts';

export { actionMetadataFromYaml, evaluateTemplate, readActionMetadata, repoRoot } from './action-metadata.ts';
export { actionUnderTest } from './action-bundle.ts';
export type { ActionInputMetadata, ActionMetadata } from './action-metadata.ts';
export type { GitHubContextOptions } from './job-context.ts';
export {
  applyMasks,
  firstIndexOf,
  isMaskedBeforeUse,
  maskedLog,
  maskIndexOf,
  maskVariants,
  parseFileCommand,
  parseWorkflowCommand,
} from './workflow-commands.ts';
export type { FileCommandEntry, LogLine, LogStream, WorkflowCommand } from './workflow-commands.ts';

// ---------------------------------------------------------------------------------------------
// Running a step
// ---------------------------------------------------------------------------------------------

export interface RunStepOptions {
  /** The action to run; default: the build of the current src/ (./action-bundle.ts), else the repository. */
  actionDir?: string;
  entry?: 'main' | 'post';
  /** Input name → value, like `with:`. Unset inputs get the action.yml default; '' stays ''. */
  inputs?: Record<string, string>;
  github?: GitHubContextOptions;
  /** Saved state, given to the step as STATE_<name>. */
  state?: Record<string, string>;
  /** Extra environment (wins over the runner's variables); undefined removes a variable. */
  env?: Record<string, string | undefined>;
  /** Values the runner already masks (values from `secrets.*`, masks of earlier steps). */
  masks?: string[];
  /** Set RUNNER_DEBUG=1 (step debug logging). */
  debug?: boolean;
  timeoutMs?: number;
  nodePath?: string;
  /** Inputs not declared in action.yml: the runner only warns; by default this throws (test typo). */
  allowUndeclaredInputs?: boolean;
  /** Job directory (workspace + RUNNER_TEMP) shared by steps of one job; not deleted by runStep. */
  jobDir?: string;
  /** Keep the temporary job directory (its path is in the result). */
  keepTempDir?: boolean;
}

export interface StepResult {
  entry: 'main' | 'post';
  entryPath: string;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** What the runner would conclude: non-zero exit, killed, or a malformed file command. */
  failed: boolean;
  stdout: string;
  stderr: string;
  /** stdout and stderr lines in arrival order, as the runner reads them. */
  lines: LogLine[];
  commands: WorkflowCommand[];
  /** Values masked by this step's add-mask commands, in order. */
  masks: string[];
  /** Masks already active when the step started. */
  initialMasks: string[];
  outputs: Record<string, string>;
  state: Record<string, string>;
  env: Record<string, string>;
  path: string[];
  summary: string;
  /** the summary as a reader sees it: rendered as GFM, its visible text (rendered-summary.ts) */
  summaryText: string;
  files: { output: string; state: string; env: string; path: string; summary: string };
  /** Errors the runner would report processing the file commands (they fail the step). */
  fileErrors: string[];
  /** Warnings the runner itself would add (unexpected inputs, empty add-mask, …). */
  runnerWarnings: string[];
  /** Files the step created or changed in the workspace or RUNNER_TEMP (relative path → text). */
  createdFiles: Record<string, string>;
  /** The INPUT_* values the step received, keyed by input name. */
  inputs: Record<string, string>;
  /** The complete environment the step ran with. */
  processEnv: Record<string, string>;
  tempDir: string;
  /** When the process was spawned, in epoch ms (the emulators' request times use the same clock). */
  startedAt: number;
  durationMs: number;
}

export async function runStep(options: RunStepOptions = {}): Promise<StepResult> {
  const actionDir = path.resolve(options.actionDir ?? actionUnderTest());
  const entry = options.entry ?? 'main';
  const meta = await readActionMetadata(actionDir);
  const entryRel = entry === 'main' ? meta.main : meta.post;
  if (!entryRel) throw new Error(`action.yml in ${actionDir} has no runs.${entry}`);
  const entryPath = path.resolve(actionDir, entryRel);
  try {
    await access(entryPath);
  } catch {
    throw new Error(`runner emulator: ${entryPath} (runs.${entry}) does not exist — build the action first (npm run build)`);
  }

  const ownsDir = !options.jobDir;
  const jobDir = options.jobDir ?? (await mkdtemp(path.join(tmpdir(), 'runner-emulator-')));
  try {
    const layout = await createStepLayout(jobDir);
    const { workspace, runnerTemp, commandDir, eventPath, commandFiles } = layout;

    const gh = githubContext(options.github);
    await writeFile(eventPath, JSON.stringify(gh.event));
    const runner = runnerContext(jobDir, runnerTemp, options.debug);
    const githubVars = runnerVariables(gh, runner, layout, actionDir, options.debug);

    // Inputs: declared ones get the given value or their evaluated default.
    const runnerWarnings: string[] = [];
    const given = options.inputs ?? {};
    const declared = Object.keys(meta.inputs);
    const inputs: Record<string, string> = {};
    const workflowEnv = Object.fromEntries(Object.entries(options.env ?? {}).filter(([, v]) => v !== undefined));
    const contexts = { github: gh as ExprValue, runner: runner as ExprValue, env: workflowEnv as ExprValue };
    for (const name of declared) {
      const givenKey = Object.keys(given).find((k) => k.toLowerCase() === name.toLowerCase());
      const def = meta.inputs[name]?.default;
      inputs[name] = givenKey !== undefined ? given[givenKey]! : def === undefined ? '' : evaluateTemplate(def, contexts);
    }
    const undeclared = Object.keys(given).filter((k) => !declared.some((d) => d.toLowerCase() === k.toLowerCase()));
    if (undeclared.length) {
      const msg = `Unexpected input(s) '${undeclared.join("', '")}', valid inputs are ['${declared.join("', '")}']`;
      if (!options.allowUndeclaredInputs) throw new Error(`runner emulator: ${msg}`);
      runnerWarnings.push(msg);
      for (const k of undeclared) inputs[k] = given[k]!;
    }

    const processEnv: Record<string, string> = {};
    if (process.env['PATH'] !== undefined) processEnv['PATH'] = process.env['PATH'];
    if (process.env['HOME'] !== undefined) processEnv['HOME'] = process.env['HOME'];
    Object.assign(processEnv, githubVars);
    for (const [name, value] of Object.entries(inputs)) {
      processEnv[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
    }
    for (const [name, value] of Object.entries(options.state ?? {})) processEnv[`STATE_${name}`] = value;
    for (const [name, value] of Object.entries(options.env ?? {})) {
      if (value === undefined) delete processEnv[name];
      else processEnv[name] = value;
    }

    const initialMasks = [...(options.masks ?? [])];
    if (!initialMasks.includes(gh.token) && gh.token) initialMasks.push(gh.token);

    const before = await snapshotFiles([workspace, runnerTemp], jobDir, [commandDir, path.dirname(eventPath)]);
    const started = performance.now();
    const proc = await runProcess(options.nodePath ?? process.execPath, [entryPath], {
      cwd: workspace,
      env: processEnv,
      timeoutMs: options.timeoutMs ?? 60_000,
    });
    const durationMs = performance.now() - started;

    const files = {
      output: await readFile(commandFiles.output, 'utf8'),
      state: await readFile(commandFiles.state, 'utf8'),
      env: await readFile(commandFiles.env, 'utf8'),
      path: await readFile(commandFiles.path, 'utf8'),
      summary: await readFile(commandFiles.summary, 'utf8'),
    };
    const after = await snapshotFiles([workspace, runnerTemp], jobDir, [commandDir, path.dirname(eventPath)]);
    const createdFiles: Record<string, string> = {};
    for (const [rel, content] of Object.entries(after)) if (before[rel] !== content) createdFiles[rel] = content;

    const { commands, masks, outputs, state } = processCommands(proc.lines, runnerWarnings);
    const fileErrors: string[] = [];
    const parseInto = (target: Record<string, string>, text: string, what: string) => {
      try {
        for (const { name, value } of parseFileCommand(text)) {
          if (what === 'env' && name.toUpperCase() === 'NODE_OPTIONS') {
            runnerWarnings.push("Can't store NODE_OPTIONS output parameter using '$GITHUB_ENV' command.");
            continue;
          }
          target[name] = value;
        }
      } catch (err) {
        fileErrors.push(`Unable to process file command '${what}' successfully. ${(err as Error).message}`);
      }
    };
    parseInto(outputs, files.output, 'output');
    parseInto(state, files.state, 'save_state');
    const env: Record<string, string> = {};
    parseInto(env, files.env, 'env');

    return {
      entry,
      entryPath,
      exitCode: proc.exitCode,
      signal: proc.signal,
      timedOut: proc.timedOut,
      failed: proc.exitCode !== 0 || proc.timedOut || fileErrors.length > 0,
      stdout: proc.stdout,
      stderr: proc.stderr,
      lines: proc.lines,
      commands,
      masks,
      initialMasks,
      outputs,
      state,
      env,
      path: files.path.split(/\r?\n/).filter((l) => l.trim() !== ''),
      summary: files.summary,
      summaryText: summaryText(files.summary),
      files,
      fileErrors,
      runnerWarnings,
      createdFiles,
      inputs,
      processEnv,
      tempDir: jobDir,
      startedAt: performance.timeOrigin + started,
      durationMs,
    };
  } finally {
    if (ownsDir && !options.keepTempDir) await rm(jobDir, { recursive: true, force: true });
  }
}

export interface RunJobOptions extends Omit<RunStepOptions, 'entry' | 'state' | 'jobDir'> {
  /** Overrides for the post step only (e.g. a different env or timeout). */
  post?: Pick<RunStepOptions, 'env' | 'timeoutMs' | 'nodePath'>;
}

export interface JobResult {
  main: StepResult;
  /** Undefined when action.yml has no runs.post, or `post-if` was false. */
  post?: StepResult;
}

/**
 * main, then post (if declared) in the same job: same inputs and workspace, main's state as
 * STATE_*, main's GITHUB_ENV/GITHUB_PATH and masks carried over. `post-if` defaults to always().
 */
export async function runJob(options: RunJobOptions = {}): Promise<JobResult> {
  const { post: postOverrides, keepTempDir, ...stepOptions } = options;
  const meta = await readActionMetadata(path.resolve(options.actionDir ?? actionUnderTest()));
  const jobDir = await mkdtemp(path.join(tmpdir(), 'runner-emulator-job-'));
  try {
    const main = await runStep({ ...stepOptions, entry: 'main', jobDir });
    if (!meta.post || !postCondition(meta.postIf ?? 'always()', main)) return { main };
    const basePath = (postOverrides?.env ?? options.env)?.['PATH'] ?? process.env['PATH'] ?? '';
    const env: Record<string, string | undefined> = { ...options.env, ...main.env, ...postOverrides?.env };
    if (main.path.length) env['PATH'] = [...[...main.path].reverse(), basePath].join(path.delimiter);
    const post = await runStep({
      ...stepOptions,
      ...postOverrides,
      env,
      entry: 'post',
      state: main.state,
      masks: [...main.initialMasks, ...main.masks],
      jobDir,
    });
    return { main, post };
  } finally {
    if (!keepTempDir) await rm(jobDir, { recursive: true, force: true });
  }
}

function postCondition(expr: string, main: StepResult): boolean {
  const cond = expr.replace(/^\s*\$\{\{(.*)\}\}\s*$/s, '$1').trim();
  const fn: Record<string, boolean> = {
    'always()': true,
    'success()': !main.failed,
    'failure()': main.failed,
    'cancelled()': false,
    '!cancelled()': true,
  };
  const v = fn[cond];
  if (v === undefined) throw new Error(`runner emulator: unsupported post-if ${JSON.stringify(expr)}`);
  return v;
}

interface ProcessResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  lines: LogLine[];
}

function runProcess(
  command: string,
  args: string[],
  opts: { cwd: string; env: Record<string, string>; timeoutMs: number },
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const raw = { stdout: '', stderr: '' };
    const partial = { stdout: '', stderr: '' };
    const lines: LogLine[] = [];
    const onData = (stream: LogStream, decoder: StringDecoder) => (chunk: Buffer) => {
      const text = decoder.write(chunk);
      raw[stream] += text;
      const parts = (partial[stream] + text).split('\n');
      partial[stream] = parts.pop()!;
      for (const line of parts) lines.push({ stream, text: line.replace(/\r$/, '') });
    };
    const decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
    child.stdout.on('data', onData('stdout', decoders.stdout));
    child.stderr.on('data', onData('stderr', decoders.stderr));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      for (const stream of ['stdout', 'stderr'] as const) {
        const rest = decoders[stream].end();
        raw[stream] += rest;
        partial[stream] += rest;
        if (partial[stream] !== '') lines.push({ stream, text: partial[stream].replace(/\r$/, '') });
      }
      resolve({ exitCode, signal, timedOut, stdout: raw.stdout, stderr: raw.stderr, lines });
    });
  });
}

async function snapshotFiles(roots: string[], base: string, exclude: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (dir: string) => {
    if (exclude.includes(dir)) return;
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) await walk(full);
      else if (e.isFile()) out[path.relative(base, full)] = await readFile(full, 'utf8');
    }
  };
  for (const root of roots) await walk(root);
  return out;
}
