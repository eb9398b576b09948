// The command line's flags, read into the inputs the modes parse (the names of action.yml's inputs), with the
// defaults a GitLab CI job or a shell gives them. Secrets are never flags: they come from the environment only.
import { parseArgs } from 'node:util';
import { InputError } from '../inputs.ts';

export const USAGE = `kubiya-api-key <mode> [options]
  modes: rotate | revoke | audit | check  (mint is the action's: a command line has no post step)
  --store github|gitlab       where the key is kept (default: gitlab when GITLAB_CI=true, else github)
  --project PATH|ID           GitLab: group/subgroup/project or a numeric id (repeatable; default $CI_PROJECT_PATH)
  --group PATH                GitLab: write a group variable instead (one slot)
  --repository OWNER/REPO     GitHub: a repository (repeatable)
  --environment NAME          GitHub environment; GitLab environment scope (default *)
  --variable NAME             the secret / variable name (default KUBIYA_API_KEY)
  --gitlab-url URL            GitLab server (default $CI_SERVER_URL, else https://gitlab.com)
  --ttl, --grace-period, --warn-before, --fail-on, --key-name-prefix DURATION|LIST|PREFIX
  --[no-]revoke-previous, --[no-]verify, --dry-run
  --[no-]protected            GitLab, create only: protected variable (default: protected)
  --hidden                    GitLab, create only: masked and hidden
  --json FILE                 write the results array to FILE
  --rotation-schedule ID      check: also watch the rotation's pipeline schedule (read with GITLAB_TOKEN)
  --warn-exit-code N          check: the exit code when the key works but needs attention (default 3; 0 to turn off)
  --help, --version
Secrets come from the environment only: KUBIYA_ADMIN_API_KEY, KUBIYA_API_KEY (check), GITLAB_TOKEN, GITHUB_TOKEN,
KUBIYA_API_URL.
Exit codes: 0 success, 1 a target failed (or a finding listed in --fail-on; check: the key does not work), 2 an input
error (nothing was sent), 3 check: the key works but needs attention (GitLab: allow_failure: exit_codes: [3]).`;

/** The secret inputs and the variables that set them: never flags, since a flag shows in process lists and shell history. */
export const SECRET_VARIABLES: Record<string, string> = {
  'admin-api-key': 'KUBIYA_ADMIN_API_KEY',
  'api-key': 'KUBIYA_API_KEY',
  'github-token': 'GITHUB_TOKEN',
  'gitlab-token': 'GITLAB_TOKEN',
};

/** Flags that would carry a secret: refused, naming the variable to set instead. */
const SECRET_FLAGS: Record<string, string> = { ...SECRET_VARIABLES, token: 'GITLAB_TOKEN or GITHUB_TOKEN' };

const OPTIONS = {
  store: { type: 'string' },
  project: { type: 'string', multiple: true },
  group: { type: 'string' },
  repository: { type: 'string', multiple: true },
  environment: { type: 'string' },
  variable: { type: 'string' },
  'gitlab-url': { type: 'string' },
  ttl: { type: 'string' },
  'grace-period': { type: 'string' },
  'warn-before': { type: 'string' },
  'fail-on': { type: 'string' },
  'key-name-prefix': { type: 'string' },
  'revoke-previous': { type: 'boolean' },
  verify: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  protected: { type: 'boolean' },
  hidden: { type: 'boolean' },
  json: { type: 'string' },
  'warn-exit-code': { type: 'string' },
  'rotation-schedule': { type: 'string' },
  help: { type: 'boolean' },
  version: { type: 'boolean' },
} as const;

export interface CommandLine {
  /** help or version asked for: print it, do nothing else */
  info?: 'help' | 'version';
  mode: string;
  inputs: Map<string, string>;
  /** --json FILE */
  jsonFile?: string;
  /** check mode: the exit code when the key works but a finding needs attention */
  warnExitCode: number;
}

export function parseCommandLine(argv: string[], env: NodeJS.ProcessEnv): CommandLine {
  for (const arg of argv) {
    const name = /^--(?:no-)?([^=]+)/.exec(arg)?.[1];
    if (name !== undefined && Object.hasOwn(SECRET_FLAGS, name)) {
      throw new InputError(
        `--${name} is not accepted: secrets come from the environment only (a flag shows in process lists and shell history); set ${SECRET_FLAGS[name]}.`,
      );
    }
  }
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, allowNegative: true, strict: true });
  } catch (error) {
    throw new InputError(`${(error as Error).message}. Run kubiya-api-key --help for the options.`);
  }
  const { values, positionals } = parsed;
  if (values.help) return { info: 'help', mode: '', inputs: new Map(), warnExitCode: 3 };
  if (values.version) return { info: 'version', mode: '', inputs: new Map(), warnExitCode: 3 };
  if (positionals.length !== 1) throw new InputError(`Give exactly one mode (rotate, revoke, audit or check); got ${positionals.length}.`);
  if (values.group !== undefined && values.project !== undefined) {
    throw new InputError('--group and --project cannot be combined: a run writes project variables or one group variable.');
  }
  const warnExitCode = values['warn-exit-code'] === undefined ? 3 : Number(values['warn-exit-code']);
  if (!Number.isInteger(warnExitCode) || warnExitCode < 0 || warnExitCode > 255) {
    throw new InputError(`--warn-exit-code must be a whole number from 0 to 255 (got '${values['warn-exit-code']}').`);
  }
  return { mode: positionals[0]!, inputs: toInputs(values, env), jsonFile: values.json, warnExitCode };
}

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

/** The flags and the environment as the inputs the modes read (an input left out reads as ''). */
function toInputs(values: Values, env: NodeJS.ProcessEnv): Map<string, string> {
  const flag = (value: boolean | undefined) => (value === undefined ? '' : String(value));
  const entries: [string, string | undefined][] = [
    ['store', values.store ?? (env['GITLAB_CI'] === 'true' ? 'gitlab' : 'github')],
    ...Object.entries(SECRET_VARIABLES).map(([name, variable]): [string, string | undefined] => [name, env[variable]]),
    ['kubiya-api-url', env['KUBIYA_API_URL']],
    ['gitlab-url', values['gitlab-url'] ?? env['CI_SERVER_URL']],
    // CI_API_V4_URL is this server's API only when the server is the job's own.
    ['gitlab-api-url', values['gitlab-url'] === undefined ? env['CI_API_V4_URL'] : ''],
    ['projects', (values.project ?? (values.group === undefined ? [env['CI_PROJECT_PATH'] ?? ''] : [])).join('\n')],
    ['group', values.group],
    ['repositories', values.repository?.join('\n')],
    ['environment', values.environment],
    ['secret-name', values.variable],
    ['ttl', values.ttl],
    ['grace-period', values['grace-period']],
    ['warn-before', values['warn-before']],
    ['fail-on', values['fail-on'] ?? 'expired,expiring'],
    ['key-name-prefix', values['key-name-prefix']],
    ['revoke-previous', flag(values['revoke-previous'])],
    ['verify', flag(values.verify)],
    ['dry-run', flag(values['dry-run'])],
    ['protected', flag(values.protected)],
    ['hidden', flag(values.hidden)],
    ['rotation-schedule', values['rotation-schedule']],
  ];
  return new Map(entries.map(([name, value]) => [name, (value ?? '').trim()]));
}

/** How the command line names what the modes call inputs: `Input 'secret-name'` reads `--variable`. */
const FLAG_OF_INPUT: Record<string, string> = {
  ...SECRET_VARIABLES,
  'kubiya-api-url': 'KUBIYA_API_URL',
  'gitlab-api-url': 'CI_API_V4_URL',
  'secret-name': '--variable',
  projects: '--project',
  repositories: '--repository',
};

/** An input error's message in the command line's words: inputs named as the flags or variables that set them. */
export function inFlagTerms(message: string): string {
  return message.replace(/\b(Inputs?) ('[^']+'(?:,? (?:and )?'[^']+')*)/g, (_, _word: string, names: string) =>
    names.replace(/'([a-z-]+)(?::[^']*)?'/g, (whole, name: string) => {
      const flag = FLAG_OF_INPUT[name] ?? (/^[a-z-]+$/.test(name) ? `--${name}` : undefined);
      return flag ?? whole;
    }),
  );
}
