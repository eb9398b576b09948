// Runs a built JavaScript action the way the GitHub Actions runner does: action.yml defaults
// (with `${{ }}` expressions), INPUT_* variables with hyphens kept, the file commands
// (GITHUB_OUTPUT/STATE/ENV/PATH/STEP_SUMMARY), workflow commands on stdout/stderr, masking,
// and the post step fed with STATE_* — so e2e tests see what a workflow run would.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { access, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

// ---------------------------------------------------------------------------------------------
// action.yml
// ---------------------------------------------------------------------------------------------

export interface ActionInputMetadata {
  default?: string;
  required?: boolean;
}

export interface ActionMetadata {
  inputs: Record<string, ActionInputMetadata>;
  outputs: string[];
  using: string;
  main: string;
  post?: string;
  postIf?: string;
}

export type YamlNode = string | null | YamlNode[] | { [key: string]: YamlNode };

export async function readActionMetadata(actionDir: string = repoRoot): Promise<ActionMetadata> {
  let text: string;
  try {
    text = await readFile(path.join(actionDir, 'action.yml'), 'utf8');
  } catch {
    text = await readFile(path.join(actionDir, 'action.yaml'), 'utf8');
  }
  return actionMetadataFromYaml(text);
}

export function actionMetadataFromYaml(text: string): ActionMetadata {
  const doc = asMap(parseYamlSubset(text), 'action.yml');
  const inputs: Record<string, ActionInputMetadata> = {};
  for (const [name, node] of Object.entries(asMap(doc['inputs'] ?? {}, 'inputs'))) {
    const spec = asMap(node ?? {}, `inputs.${name}`);
    const input: ActionInputMetadata = {};
    const def = spec['default'];
    if (typeof def === 'string') input.default = def;
    const required = spec['required'];
    if (typeof required === 'string') input.required = /^(true|True|TRUE)$/.test(required);
    inputs[name] = input;
  }
  const runs = asMap(doc['runs'] ?? null, 'runs');
  const main = runs['main'];
  if (typeof main !== 'string') throw new Error('action.yml: runs.main is missing');
  const meta: ActionMetadata = {
    inputs,
    outputs: Object.keys(asMap(doc['outputs'] ?? {}, 'outputs')),
    using: typeof runs['using'] === 'string' ? runs['using'] : '',
    main,
  };
  if (typeof runs['post'] === 'string') meta.post = runs['post'];
  if (typeof runs['post-if'] === 'string') meta.postIf = runs['post-if'];
  return meta;
}

function asMap(node: YamlNode | undefined, where: string): { [key: string]: YamlNode } {
  if (node === null || typeof node !== 'object' || Array.isArray(node)) {
    throw new Error(`action.yml: ${where} must be a mapping`);
  }
  return node;
}

/**
 * The YAML subset action.yml files use: block mappings and sequences, plain/quoted/block
 * scalars, comments. Scalars stay strings (null for empty/`~`/`null`); flow collections and
 * anchors are rejected loudly rather than misread.
 */
export function parseYamlSubset(text: string): YamlNode {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let i = 0;
  const isBlank = (raw: string) => /^\s*(#.*)?$/.test(raw);
  const indentOf = (raw: string) => {
    const m = /^( *)(\t?)/.exec(raw)!;
    if (m[2]) throw new Error(`YAML line ${i + 1}: tabs are not allowed in indentation`);
    return m[1]!.length;
  };
  const nextContent = (): number => {
    while (i < lines.length && isBlank(lines[i]!)) i++;
    return i;
  };
  const fail = (msg: string): never => {
    throw new Error(`YAML line ${i + 1}: ${msg}`);
  };
  const isSeqItem = (content: string) => content === '-' || content.startsWith('- ');

  function parseBlock(minIndent: number): YamlNode {
    if (nextContent() >= lines.length) return null;
    const ind = indentOf(lines[i]!);
    if (ind < minIndent) return null;
    return isSeqItem(lines[i]!.slice(ind)) ? parseSeq(ind) : parseMap(ind);
  }

  function splitKey(content: string): [string, string] | null {
    let m = /^"((?:[^"\\]|\\.)*)"\s*:(?:\s+|$)(.*)$/.exec(content);
    if (m) return [unescapeDouble(m[1]!), m[2]!];
    m = /^'((?:[^']|'')*)'\s*:(?:\s+|$)(.*)$/.exec(content);
    if (m) return [m[1]!.replace(/''/g, "'"), m[2]!];
    m = /^([^\s#'"\-?:,[\]{}][^#]*?|-[^\s][^#]*?)\s*:(?:\s+|$)(.*)$/.exec(content);
    return m ? [m[1]!, m[2]!] : null;
  }

  function parseMap(ind: number): YamlNode {
    const map: { [key: string]: YamlNode } = {};
    while (nextContent() < lines.length) {
      const raw = lines[i]!;
      const lineIndent = indentOf(raw);
      if (lineIndent < ind) break;
      if (lineIndent > ind) fail('unexpected indentation');
      const content = raw.slice(ind);
      if (isSeqItem(content)) break;
      const kv = splitKey(content);
      if (!kv) fail(`expected "key: value", got ${JSON.stringify(content)}`);
      const [key, rest] = kv!;
      if (key in map) fail(`duplicate key ${JSON.stringify(key)}`);
      i++;
      map[key] = parseValue(rest, ind, true);
    }
    return map;
  }

  function parseSeq(ind: number): YamlNode {
    const seq: YamlNode[] = [];
    while (nextContent() < lines.length) {
      const raw = lines[i]!;
      if (indentOf(raw) !== ind || !isSeqItem(raw.slice(ind))) break;
      const after = raw.slice(ind + 1);
      const pad = /^ */.exec(after)![0].length;
      const rest = after.slice(pad);
      const col = ind + 1 + pad;
      if (rest !== '' && !rest.startsWith('#') && splitKey(rest)) {
        // "- key: value" starts a mapping whose keys sit at the item's content column.
        lines[i] = ' '.repeat(col) + rest;
        seq.push(parseMap(col));
      } else {
        i++;
        seq.push(parseValue(rest, ind, false));
      }
    }
    return seq;
  }

  /** The value after "key:" or "- "; `parentIndent` is the key's (or dash's) column. */
  function parseValue(rest: string, parentIndent: number, inMap: boolean): YamlNode {
    const value = rest.trimEnd();
    if (value === '' || value.startsWith('#')) {
      if (nextContent() >= lines.length) return null;
      const ind = indentOf(lines[i]!);
      if (ind > parentIndent) return parseBlock(ind);
      if (inMap && ind === parentIndent && isSeqItem(lines[i]!.slice(ind))) return parseSeq(ind);
      return null;
    }
    if (value[0] === '|' || value[0] === '>') return parseBlockScalar(value, parentIndent);
    if (value[0] === '"' || value[0] === "'") return parseQuoted(value);
    if ('[{&*!%@`'.includes(value[0]!)) fail(`unsupported YAML construct: ${JSON.stringify(value)}`);
    // Plain scalar, possibly folded over more-indented continuation lines.
    const parts = [stripComment(value)];
    let blankRun = 0;
    while (i < lines.length) {
      const raw = lines[i]!;
      if (/^\s*$/.test(raw)) {
        blankRun++;
        i++;
        continue;
      }
      if (/^\s*#/.test(raw) || indentOf(raw) <= parentIndent) break;
      parts.push(blankRun ? '\n'.repeat(blankRun) : ' ', stripComment(raw.trim()));
      blankRun = 0;
      i++;
    }
    if (blankRun) {
      // Blank lines after the scalar belong to whatever follows.
      i -= blankRun;
    }
    const joined = parts.join('');
    return /^(~|null|Null|NULL)$/.test(joined) ? null : joined;
  }

  function stripComment(s: string): string {
    const m = /(^|\s)#/.exec(s);
    return (m ? s.slice(0, m.index) : s).trimEnd();
  }

  function parseQuoted(first: string): string {
    const q = first[0]!;
    let buf = first.slice(1);
    const closeRe = q === '"' ? /^((?:[^"\\]|\\.)*)"(.*)$/s : /^((?:[^']|'')*)'(?!')(.*)$/s;
    const pieces: string[] = [];
    for (;;) {
      const m = closeRe.exec(buf);
      if (m) {
        if (stripComment(m[2]!.trim()) !== '') fail('unexpected text after quoted scalar');
        pieces.push(m[1]!);
        break;
      }
      pieces.push(buf);
      if (i >= lines.length) fail('unterminated quoted scalar');
      buf = lines[i++]!.trimStart();
    }
    // Line folding: a single break becomes a space, each empty line a newline.
    const trimmed = pieces.map((p, k) => {
      const t = k === 0 ? p : p.trimStart();
      return k === pieces.length - 1 ? t : t.trimEnd();
    });
    let folded = trimmed[0]!;
    let newlines = 0;
    for (let k = 1; k < trimmed.length; k++) {
      const piece = trimmed[k]!;
      if (piece === '' && k < trimmed.length - 1) {
        newlines++;
        continue;
      }
      folded += newlines ? '\n'.repeat(newlines) : ' ';
      folded += piece;
      newlines = 0;
    }
    return q === '"' ? unescapeDouble(folded) : folded.replace(/''/g, "'");
  }

  function parseBlockScalar(header: string, parentIndent: number): string {
    const m = /^([|>])([+-]?)([1-9]?)([+-]?)\s*(#.*)?$/.exec(header);
    if (!m) fail(`bad block scalar header ${JSON.stringify(header)}`);
    const [, style, chomp1, explicit, chomp2] = m!;
    const chomp = chomp1 || chomp2;
    let contentIndent = explicit ? parentIndent + Number(explicit) : -1;
    const body: string[] = [];
    while (i < lines.length) {
      const raw = lines[i]!;
      if (/^\s*$/.test(raw)) {
        body.push('');
        i++;
        continue;
      }
      const ind = indentOf(raw);
      if (contentIndent < 0) contentIndent = ind;
      if (ind < contentIndent || ind <= parentIndent) break;
      body.push(raw.slice(contentIndent));
      i++;
    }
    let trailing = 0;
    while (body.length && body[body.length - 1] === '') {
      body.pop();
      trailing++;
    }
    let text: string;
    if (style === '|') {
      text = body.join('\n');
    } else {
      // Folding: breaks between normal lines become spaces; empty and more-indented lines keep theirs.
      text = body[0] ?? '';
      for (let k = 1; k < body.length; k++) {
        const line = body[k]!;
        const prev = body[k - 1]!;
        if (line === '') text += '\n';
        else if (prev !== '') text += /^\s/.test(line) || /^\s/.test(prev) ? '\n' : ' ';
        text += line;
      }
    }
    if (body.length === 0) return '';
    if (chomp === '-') return text;
    if (chomp === '+') return text + '\n'.repeat(trailing + 1);
    return text + '\n';
  }

  const root = parseBlock(0);
  if (nextContent() < lines.length) fail('unexpected content');
  return root;
}

function unescapeDouble(s: string): string {
  const simple: Record<string, string> = {
    '0': '\0',
    a: '\x07',
    b: '\b',
    t: '\t',
    '\t': '\t',
    n: '\n',
    v: '\v',
    f: '\f',
    r: '\r',
    e: '\x1b',
    ' ': ' ',
    '"': '"',
    '/': '/',
    '\\': '\\',
    N: '\u0085',
    _: '\u00a0',
    L: '\u2028',
    P: '\u2029',
  };
  return s.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)/gs, (all, esc: string) => {
    if (esc.length > 1) return String.fromCodePoint(parseInt(esc.slice(1), 16));
    const r = simple[esc];
    if (r === undefined) throw new Error(`YAML: unknown escape ${all}`);
    return r;
  });
}

// ---------------------------------------------------------------------------------------------
// `${{ }}` expressions in input defaults
// ---------------------------------------------------------------------------------------------

type ExprValue = string | number | boolean | null | { [key: string]: ExprValue } | ExprValue[];

/** Replaces every `${{ expr }}` in `text`; supports context paths, literals, !, ==, !=, &&, ||. */
export function evaluateTemplate(text: string, contexts: Record<string, ExprValue>): string {
  return text.replace(/\$\{\{(.*?)\}\}/gs, (_all, expr: string) => exprToString(evaluateExpression(expr, contexts)));
}

function exprToString(v: ExprValue): string {
  if (v === null) return '';
  if (typeof v === 'object') return JSON.stringify(v, null, 2);
  return String(v);
}

function truthy(v: ExprValue): boolean {
  return !(v === null || v === false || v === 0 || v === '' || Number.isNaN(v));
}

function evaluateExpression(source: string, contexts: Record<string, ExprValue>): ExprValue {
  const tokens = source.match(/'(?:[^']|'')*'|&&|\|\||==|!=|[!().[\]]|[A-Za-z_][\w-]*|-?\d+(?:\.\d+)?|\S/g) ?? [];
  let pos = 0;
  const fail = (msg: string): never => {
    throw new Error(`expression ${JSON.stringify(source.trim())}: ${msg}`);
  };
  const peek = () => tokens[pos];
  const take = (t?: string) => {
    const tok = tokens[pos++];
    if (tok === undefined || (t !== undefined && tok !== t)) fail(`expected ${t ?? 'a token'}`);
    return tok!;
  };
  const or = (): ExprValue => {
    let left = and();
    while (peek() === '||') {
      take();
      const right = and();
      left = truthy(left) ? left : right;
    }
    return left;
  };
  const and = (): ExprValue => {
    let left = equality();
    while (peek() === '&&') {
      take();
      const right = equality();
      left = truthy(left) ? right : left;
    }
    return left;
  };
  const equality = (): ExprValue => {
    const left = unary();
    const op = peek();
    if (op !== '==' && op !== '!=') return left;
    take();
    const right = unary();
    const norm = (v: ExprValue) => (typeof v === 'string' ? v.toLowerCase() : v);
    return (norm(left) === norm(right)) === (op === '==');
  };
  const unary = (): ExprValue => {
    if (peek() === '!') {
      take();
      return !truthy(unary());
    }
    return primary();
  };
  const primary = (): ExprValue => {
    const tok = take();
    if (tok === '(') {
      const v = or();
      take(')');
      return v;
    }
    if (tok.startsWith("'")) return tok.slice(1, -1).replace(/''/g, "'");
    if (/^-?\d/.test(tok)) return Number(tok);
    if (tok === 'true' || tok === 'false') return tok === 'true';
    if (tok === 'null') return null;
    if (!/^[A-Za-z_]/.test(tok)) fail(`unexpected ${tok}`);
    if (peek() === '(') fail(`function ${tok}() is not supported by the runner emulator`);
    let value: ExprValue = lookup(contexts, tok);
    while (peek() === '.' || peek() === '[') {
      if (take() === '.') {
        value = lookup(value, take());
      } else {
        const key = primary();
        take(']');
        value = lookup(value, exprToString(key));
      }
    }
    return value;
  };
  const value = or();
  if (pos !== tokens.length) fail(`unexpected ${tokens[pos]}`);
  return value;
}

function lookup(obj: ExprValue | Record<string, ExprValue>, key: string): ExprValue {
  if (obj === null || typeof obj !== 'object') return null;
  if (Array.isArray(obj)) return obj[Number(key)] ?? null;
  const hit = Object.keys(obj).find((k) => k.toLowerCase() === key.toLowerCase());
  return hit === undefined ? null : (obj[hit] ?? null);
}

// ---------------------------------------------------------------------------------------------
// Running a step
// ---------------------------------------------------------------------------------------------

export interface GitHubContextOptions {
  repository?: string;
  runId?: string;
  runNumber?: string;
  runAttempt?: string;
  job?: string;
  workflow?: string;
  serverUrl?: string;
  apiUrl?: string;
  graphqlUrl?: string;
  eventName?: string;
  sha?: string;
  ref?: string;
  actor?: string;
  /** `github.token` (the job's GITHUB_TOKEN); the runner masks it. */
  token?: string;
  /** The event payload written to GITHUB_EVENT_PATH. */
  event?: Record<string, unknown>;
}

export interface RunStepOptions {
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

export type LogStream = 'stdout' | 'stderr';

export interface WorkflowCommand {
  command: string;
  properties: Record<string, string>;
  message: string;
  stream: LogStream;
  /** Index into StepResult.lines. */
  line: number;
}

export interface LogLine {
  stream: LogStream;
  text: string;
  command?: WorkflowCommand;
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

const DEFAULT_TOKEN = 'ghs_RunnerEmulatorJobToken0000000000000';

function githubContext(gh: GitHubContextOptions = {}) {
  const repository = gh.repository ?? 'acme/web';
  const apiUrl = gh.apiUrl ?? 'https://api.github.com';
  const ref = gh.ref ?? 'refs/heads/main';
  return {
    repository,
    repository_owner: repository.split('/')[0] ?? '',
    run_id: gh.runId ?? '9876543210',
    run_number: gh.runNumber ?? '42',
    run_attempt: gh.runAttempt ?? '1',
    job: gh.job ?? 'rotate',
    workflow: gh.workflow ?? 'Rotate Kubiya API key',
    server_url: gh.serverUrl ?? 'https://github.com',
    api_url: apiUrl,
    graphql_url: gh.graphqlUrl ?? (/\/api\/v3\/?$/.test(apiUrl) ? apiUrl.replace(/\/v3\/?$/, '/graphql') : `${apiUrl}/graphql`),
    event_name: gh.eventName ?? 'schedule',
    sha: gh.sha ?? 'ffac537e6cbbf934b08745a378932722df287a53',
    ref,
    ref_name: ref.replace(/^refs\/(heads|tags)\//, ''),
    ref_type: ref.startsWith('refs/tags/') ? 'tag' : 'branch',
    actor: gh.actor ?? 'octocat',
    token: gh.token ?? DEFAULT_TOKEN,
    event: (gh.event ?? {}) as ExprValue,
  };
}

export async function runStep(options: RunStepOptions = {}): Promise<StepResult> {
  const actionDir = path.resolve(options.actionDir ?? repoRoot);
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
    const workspace = path.join(jobDir, 'workspace');
    const runnerTemp = path.join(jobDir, 'runner_temp');
    const commandDir = path.join(runnerTemp, '_runner_file_commands');
    const eventPath = path.join(runnerTemp, '_github_workflow', 'event.json');
    const stepId = randomUUID();
    const fileCommand = (name: string) => path.join(commandDir, `${name}_${stepId}`);
    const commandFiles = {
      output: fileCommand('set_output'),
      state: fileCommand('save_state'),
      env: fileCommand('set_env'),
      path: fileCommand('add_path'),
      summary: fileCommand('step_summary'),
    };
    await mkdir(workspace, { recursive: true });
    await mkdir(commandDir, { recursive: true });
    await mkdir(path.dirname(eventPath), { recursive: true });
    for (const file of Object.values(commandFiles)) await writeFile(file, '');

    const gh = githubContext(options.github);
    await writeFile(eventPath, JSON.stringify(gh.event));
    const runnerContext = {
      os: 'Linux',
      arch: 'X64',
      name: 'GitHub Actions 1',
      temp: runnerTemp,
      tool_cache: path.join(jobDir, 'toolcache'),
      environment: 'github-hosted',
      debug: options.debug ? '1' : '',
    };
    const githubVars: Record<string, string> = {
      GITHUB_ACTIONS: 'true',
      CI: 'true',
      GITHUB_REPOSITORY: gh.repository,
      GITHUB_REPOSITORY_OWNER: gh.repository_owner,
      GITHUB_RUN_ID: gh.run_id,
      GITHUB_RUN_NUMBER: gh.run_number,
      GITHUB_RUN_ATTEMPT: gh.run_attempt,
      GITHUB_JOB: gh.job,
      GITHUB_WORKFLOW: gh.workflow,
      GITHUB_WORKFLOW_REF: `${gh.repository}/.github/workflows/rotate.yml@${gh.ref}`,
      GITHUB_SERVER_URL: gh.server_url,
      GITHUB_API_URL: gh.api_url,
      GITHUB_GRAPHQL_URL: gh.graphql_url,
      GITHUB_EVENT_NAME: gh.event_name,
      GITHUB_EVENT_PATH: eventPath,
      GITHUB_SHA: gh.sha,
      GITHUB_REF: gh.ref,
      GITHUB_REF_NAME: gh.ref_name,
      GITHUB_REF_TYPE: gh.ref_type,
      GITHUB_ACTOR: gh.actor,
      GITHUB_TRIGGERING_ACTOR: gh.actor,
      GITHUB_WORKSPACE: workspace,
      GITHUB_ACTION: '__kubiya_api-key-action',
      GITHUB_ACTION_PATH: actionDir,
      GITHUB_ACTION_REPOSITORY: 'kubiya/api-key-action',
      GITHUB_ACTION_REF: 'v1',
      GITHUB_RETENTION_DAYS: '90',
      GITHUB_OUTPUT: commandFiles.output,
      GITHUB_STATE: commandFiles.state,
      GITHUB_ENV: commandFiles.env,
      GITHUB_PATH: commandFiles.path,
      GITHUB_STEP_SUMMARY: commandFiles.summary,
      RUNNER_OS: runnerContext.os,
      RUNNER_ARCH: runnerContext.arch,
      RUNNER_NAME: runnerContext.name,
      RUNNER_ENVIRONMENT: runnerContext.environment,
      RUNNER_TEMP: runnerTemp,
      RUNNER_TOOL_CACHE: runnerContext.tool_cache,
    };
    if (options.debug) githubVars['RUNNER_DEBUG'] = '1';

    // Inputs: declared ones get the given value or their evaluated default.
    const runnerWarnings: string[] = [];
    const given = options.inputs ?? {};
    const declared = Object.keys(meta.inputs);
    const inputs: Record<string, string> = {};
    const workflowEnv = Object.fromEntries(Object.entries(options.env ?? {}).filter(([, v]) => v !== undefined));
    const contexts = { github: gh as ExprValue, runner: runnerContext as ExprValue, env: workflowEnv as ExprValue };
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
  const meta = await readActionMetadata(path.resolve(options.actionDir ?? repoRoot));
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

// ---------------------------------------------------------------------------------------------
// File commands and workflow commands
// ---------------------------------------------------------------------------------------------

/** GITHUB_OUTPUT / GITHUB_STATE / GITHUB_ENV: `name=value` lines and `name<<DELIM` heredocs. */
export interface FileCommandEntry {
  name: string;
  value: string;
  /** The heredoc delimiter, for `name<<DELIM` entries. */
  delimiter?: string;
}

export function parseFileCommand(text: string): FileCommandEntry[] {
  const entries: FileCommandEntry[] = [];
  const lines = text.split('\n');
  // A trailing newline does not start another line.
  if (lines[lines.length - 1] === '') lines.pop();
  for (let k = 0; k < lines.length; k++) {
    const line = lines[k]!.replace(/\r$/, '');
    if (line === '') continue;
    const eq = line.indexOf('=');
    const heredoc = line.indexOf('<<');
    if (eq >= 0 && (heredoc < 0 || eq < heredoc)) {
      const name = line.slice(0, eq);
      if (name === '') throw new Error(`Invalid format '${line}'. Name must not be empty`);
      entries.push({ name, value: line.slice(eq + 1) });
    } else if (heredoc >= 0) {
      const name = line.slice(0, heredoc);
      const delimiter = line.slice(heredoc + 2);
      if (name === '' || delimiter === '') {
        throw new Error(`Invalid format '${line}'. Name must not be empty and delimiter must not be empty`);
      }
      const value: string[] = [];
      for (;;) {
        k++;
        if (k >= lines.length) throw new Error(`Invalid value. Matching delimiter not found '${delimiter}'`);
        const next = lines[k]!.replace(/\r$/, '');
        if (next.replace(/[\t ]+$/, '') === delimiter) break;
        value.push(next);
      }
      entries.push({ name, value: value.join('\n'), delimiter });
    } else {
      throw new Error(`Invalid format '${line}'`);
    }
  }
  return entries;
}

const unescapeData = (s: string) => s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
const unescapeProperty = (s: string) =>
  s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%3A/g, ':').replace(/%2C/g, ',').replace(/%25/g, '%');

/** Parses one log line as `::name k=v,k=v::message` the way the runner does (or null). */
export function parseWorkflowCommand(line: string): Omit<WorkflowCommand, 'stream' | 'line'> | null {
  const trimmed = line.trimStart();
  if (!trimmed.startsWith('::')) return null;
  const end = trimmed.indexOf('::', 2);
  if (end < 0) return null;
  const info = trimmed.slice(2, end);
  const space = info.indexOf(' ');
  const command = (space < 0 ? info : info.slice(0, space)).toLowerCase();
  if (command === '') return null;
  const properties: Record<string, string> = {};
  if (space >= 0) {
    for (const pair of info
      .slice(space + 1)
      .trim()
      .split(',')) {
      const eq = pair.indexOf('=');
      if (pair === '' || eq <= 0) continue;
      properties[pair.slice(0, eq)] = unescapeProperty(pair.slice(eq + 1));
    }
  }
  return { command, properties, message: unescapeData(trimmed.slice(end + 2)) };
}

function processCommands(lines: LogLine[], runnerWarnings: string[]) {
  const commands: WorkflowCommand[] = [];
  const masks: string[] = [];
  const outputs: Record<string, string> = {};
  const state: Record<string, string> = {};
  let stopToken: string | null = null;
  lines.forEach((logLine, index) => {
    const parsed = parseWorkflowCommand(logLine.text);
    if (!parsed) return;
    if (stopToken !== null) {
      // Commands are ignored until the line `::<token>::` resumes them.
      if (parsed.command === stopToken.toLowerCase() && logLine.text.trim() === `::${stopToken}::`) stopToken = null;
      return;
    }
    const command: WorkflowCommand = { ...parsed, stream: logLine.stream, line: index };
    logLine.command = command;
    commands.push(command);
    switch (command.command) {
      case 'add-mask':
        if (command.message.trim() === '') runnerWarnings.push("Can't add secret mask for empty string in ##[add-mask] command.");
        else masks.push(command.message);
        break;
      case 'stop-commands':
        stopToken = command.message;
        break;
      case 'set-output':
        if (command.properties['name']) outputs[command.properties['name']] = command.message;
        break;
      case 'save-state':
        if (command.properties['name']) state[command.properties['name']] = command.message;
        break;
    }
  });
  return { commands, masks, outputs, state };
}

// ---------------------------------------------------------------------------------------------
// Masking: what a user sees in the log
// ---------------------------------------------------------------------------------------------

/** The strings the runner's secret masker hides for one add-mask value (its value encoders). */
export function maskVariants(secret: string): string[] {
  const values = [secret, ...secret.split(/\r\n|\r|\n/).filter((l) => l.trim() !== '')];
  const out = new Set<string>();
  for (const v of values) {
    const bytes = Buffer.from(v, 'utf8');
    out.add(v);
    for (const shift of [0, 1, 2]) out.add((bytes.length > shift ? bytes.subarray(shift) : bytes).toString('base64'));
    out.add(
      JSON.stringify(v)
        .slice(1, -1)
        .replace(/\u0085/g, '\\u0085')
        .replace(/\u2028/g, '\\u2028')
        .replace(/\u2029/g, '\\u2029'),
    );
    out.add(encodeURIComponent(v).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase()));
    out.add(v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;'));
    out.add(v.replace(/'/g, "''"));
    if (v.length > 8 && v.startsWith('"') && v.endsWith('"')) out.add(v.slice(1, -1));
  }
  out.delete('');
  return [...out];
}

/** Replaces every occurrence of the masked values by `***`, merging overlaps like the runner. */
export function applyMasks(text: string, maskValues: Iterable<string>): string {
  const ranges: Array<[number, number]> = [];
  for (const m of maskValues) {
    if (m === '') continue;
    for (let at = text.indexOf(m); at >= 0; at = text.indexOf(m, at + 1)) ranges.push([at, at + m.length]);
  }
  if (ranges.length === 0) return text;
  ranges.sort((a, b) => a[0] - b[0]);
  let result = '';
  let cursor = 0;
  let [start, end] = ranges[0]!;
  for (const [s, e] of ranges.slice(1)) {
    if (s <= end) end = Math.max(end, e);
    else {
      result += text.slice(cursor, start) + '***';
      cursor = end;
      [start, end] = [s, e];
    }
  }
  return result + text.slice(cursor, start) + '***' + text.slice(end);
}

const RENDERED_COMMANDS = new Set(['group', 'endgroup', 'warning', 'error', 'notice', 'debug']);

/**
 * The step's log as the runner shows it: stdout and stderr in arrival order, add-mask lines
 * dropped, annotations rendered as `##[warning]…`, and each line masked with the masks active
 * when it was printed — a value printed before its add-mask stays visible, as on a real runner.
 */
export function maskedLog(result: StepResult): string {
  const active = new Set<string>();
  for (const m of result.initialMasks) for (const v of maskVariants(m)) active.add(v);
  const out: string[] = [];
  for (const line of result.lines) {
    const cmd = line.command;
    if (cmd?.command === 'add-mask') {
      for (const v of maskVariants(cmd.message)) active.add(v);
      continue;
    }
    const text = cmd && RENDERED_COMMANDS.has(cmd.command) ? `##[${cmd.command}]${cmd.message}` : line.text;
    for (const part of text.split(/\r\n|\r|\n/)) out.push(applyMasks(part, active));
  }
  return out.join('\n');
}

function lineShows(line: LogLine, value: string): boolean {
  if (line.text.includes(value)) return true;
  const cmd = line.command;
  return !!cmd && (cmd.message.includes(value) || Object.values(cmd.properties).some((p) => p.includes(value)));
}

/** Index into result.lines of the first line (other than add-mask) showing `value`, or -1. */
export function firstIndexOf(result: StepResult, value: string): number {
  return result.lines.findIndex((l) => l.command?.command !== 'add-mask' && lineShows(l, value));
}

/** Index into result.lines of this step's first add-mask that masks `value`, or -1. */
export function maskIndexOf(result: StepResult, value: string): number {
  return result.lines.findIndex((l) => l.command?.command === 'add-mask' && maskVariants(l.command.message).includes(value));
}

/** True if `value` was masked (before the step, or by an add-mask) before any line showed it. */
export function isMaskedBeforeUse(result: StepResult, value: string): boolean {
  const first = firstIndexOf(result, value);
  if (result.initialMasks.some((m) => maskVariants(m).includes(value))) return true;
  const mask = maskIndexOf(result, value);
  return mask >= 0 && (first < 0 || mask < first);
}
