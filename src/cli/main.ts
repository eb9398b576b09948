// The command line: flags → inputs (cli/args.ts), the same mode units the action runs, under the command line's
// Runner (cli/runner.ts). Every input error is found before any request (exit 2); a failed target or a finding
// listed in --fail-on exits 1; check mode exits 3 (--warn-exit-code) when the key works but needs attention.
import { writeFile } from 'node:fs/promises';
import { InputError, type GitLabInputs, type Inputs } from '../inputs.ts';
import * as audit from '../modes/audit.ts';
import * as check from '../modes/check.ts';
import * as revoke from '../modes/revoke.ts';
import * as rotate from '../modes/rotate.ts';
import { requestSettings } from '../retry.ts';
import type { Runner } from '../runner.ts';
import { errorMessage } from '../service-error.ts';
import { inFlagTerms, parseCommandLine, SECRET_VARIABLES, USAGE } from './args.ts';
import { commandRunner, type CommandRunner } from './runner.ts';

interface Unit {
  parse(input: Inputs, env: NodeJS.ProcessEnv): object;
  run(runner: Runner): Promise<void>;
}

const MODES: Record<string, Unit> = { rotate, revoke, audit, check };

const EXIT = { ok: 0, failed: 1, input: 2 } as const;

/** Runs one command; resolves to its exit code. */
export async function runCommand(argv: string[], env: NodeJS.ProcessEnv, version: string): Promise<number> {
  let runner: CommandRunner | undefined;
  try {
    const command = parseCommandLine(argv, env);
    if (command.info) {
      process.stdout.write(`${command.info === 'help' ? USAGE : version}\n`);
      return EXIT.ok;
    }
    const unit = Object.hasOwn(MODES, command.mode) ? MODES[command.mode] : undefined;
    if (!unit) throw new InputError(`Mode '${command.mode}' is not one of ${Object.keys(MODES).join(', ')}.`);
    if (command.mode !== 'check' && !env['KUBIYA_ADMIN_API_KEY']) {
      throw new InputError(
        "KUBIYA_ADMIN_API_KEY is not set: export the admin key (a service account's Kubiya API key that may manage keys); " +
          'in GitLab CI, a masked, protected CI/CD variable. Secrets are never passed as flags.',
      );
    }
    runner = commandRunner(command.inputs, runEnv(env));
    for (const name of Object.keys(SECRET_VARIABLES)) runner.mask(runner.input(name));
    // Every input checked before the first request (the mode parses them again when it runs: parsing is pure).
    const config = unit.parse(runner.input, runner.env);
    await resolveProjects(command.inputs, config);
    await unit.run(runner);
    const results = runner.outputs.get('results') ?? '[]';
    if (command.jsonFile) await writeFile(command.jsonFile, `${results}\n`);
    const targets = JSON.parse(results) as TargetResult[];
    closingTable(runner, targets);
    if (runner.failed()) return EXIT.failed;
    // Check mode: the key works, but a finding (expiring, a rotation disabled or failing…) needs attention.
    const needsAttention = targets.some((target) => (target.findings?.length ?? 0) > 0);
    return command.mode === 'check' && needsAttention ? command.warnExitCode : EXIT.ok;
  } catch (error) {
    const message = error instanceof InputError ? inFlagTerms(errorMessage(error)) : errorMessage(error);
    if (runner) runner.log.error(message);
    else process.stderr.write(`error: ${message}\n`);
    return error instanceof InputError ? EXIT.input : EXIT.failed;
  }
}

/** Outside CI, a run is named by the time in seconds (attempt 0): inputs.ts parseRun reads KUBIYA_RUN_ID. */
function runEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (env['GITHUB_RUN_ID'] || env['CI_PIPELINE_ID'] || env['KUBIYA_RUN_ID']) return env;
  return { ...env, KUBIYA_RUN_ID: String(Math.floor(Date.now() / 1000)) };
}

/** A numeric --project resolved to its path first, so that key names never depend on how a project was named. */
async function resolveProjects(inputs: Map<string, string>, config: object): Promise<void> {
  const gitlab = (config as { gitlab?: GitLabInputs }).gitlab;
  const projects = (inputs.get('projects') ?? '').split('\n').filter(Boolean);
  if (!gitlab || !projects.some((project) => /^\d+$/.test(project))) return;
  if (!gitlab.token) throw new InputError('A numeric --project needs GITLAB_TOKEN to be resolved to its path: set it, or give the path.');
  const { resolveProjectPath } = await import('../gitlab/variables.ts');
  const http = { apiUrl: gitlab.apiUrl, token: gitlab.token, ...requestSettings(process.env) };
  const paths = await Promise.all(
    projects.map((project) => (/^\d+$/.test(project) ? resolveProjectPath(http, project) : Promise.resolve(project))),
  );
  inputs.set('projects', paths.join('\n'));
}

/** A target's entry in the results output (results.ts resultsJson), as far as the command line reads it. */
interface TargetResult {
  target: string;
  secretName: string;
  status: string;
  keyName: string | null;
  expiresAt: string | null;
  revokedKeyIds: string[];
  error: string | null;
  /** check and audit */
  findings?: unknown[];
}

/** One line per target: its status, key and expiry, or its error. */
function closingTable(runner: CommandRunner, results: TargetResult[]): void {
  if (results.length === 0) return;
  runner.log.info('');
  for (const result of results) {
    const key = result.keyName ? ` ${result.keyName}${result.expiresAt ? ` (expires ${result.expiresAt})` : ''}` : '';
    const revoked = result.revokedKeyIds.length ? `, revoked ${result.revokedKeyIds.length}` : '';
    const error = result.error ? `: ${result.error}` : '';
    runner.log.info(`${result.status.padEnd(8)} ${result.target} ${result.secretName}${key}${revoked}${error}`);
  }
}
