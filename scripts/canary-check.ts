// Independent checks for the canary workflow (.github/workflows/canary.yml): after the action has run
// against the real Kubiya API, confirm its effects with plain HTTP calls that share no code with src/,
// and report what the low-confidence endpoints of shared/spec/KUBIYA-API.md actually answered (field
// names and wrappers only, never values).
//
//   node scripts/canary-check.ts authenticates
//   node scripts/canary-check.ts listed --id ID --name NAME
//   node scripts/canary-check.ts revoked --id ID
//   node scripts/canary-check.ts slot --prefix 'canary:owner/repo:SECRET:run-' --id ID
//   node scripts/canary-check.ts secret-updated --repository owner/repo --name SECRET --since ISO-8601
//
// Environment: KUBIYA_API_URL (default https://api.kubiya.ai); KUBIYA_API_KEY (the key `authenticates`
// checks); KUBIYA_ADMIN_API_KEY (lists keys); GITHUB_TOKEN and GITHUB_API_URL (`secret-updated`);
// GITHUB_STEP_SUMMARY (each result is appended to it when set). Exit 0 when the check holds, 1 when not.
import { appendFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

type Json = Record<string, unknown>;
type Env = Record<string, string | undefined>;

export interface CheckResult {
  ok: boolean;
  /** Markdown lines for the job summary; they carry no key. */
  lines: string[];
}

const REQUEST_TIMEOUT_MS = 30_000;
const MAX_PAGES = 50;
const ID_FIELDS = ['id', 'uuid', 'key_id', 'token_id'];
const PAGING_FIELDS = ['next', 'next_page', 'has_more', 'page', 'total'];

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

function required(env: Env, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

function option(args: string[], name: string): string {
  const index = args.indexOf(`--${name}`);
  const value = index === -1 ? undefined : args[index + 1];
  if (value === undefined || value === '') throw new Error(`--${name} is required`);
  return value;
}

function kubiyaBase(env: Env): string {
  return (env['KUBIYA_API_URL'] || 'https://api.kubiya.ai').replace(/\/+$/, '');
}

async function getJson(url: string, authorization: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, {
    headers: { authorization, accept: 'application/json' },
    redirect: 'manual',
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await response.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, body };
}

// ---- Kubiya key list ---------------------------------------------------------------------------------------

export interface ListedKey {
  id: string | undefined;
  name: string | undefined;
  expiresAt: string | undefined;
  revoked: boolean;
  fields: string[];
}

export interface KeyList {
  keys: ListedKey[];
  /** How the entries were wrapped: `keys`, `items`, `data` or `array`. */
  wrapper: string;
  pagingFields: string[];
  pages: number;
}

function readEntry(entry: Json): ListedKey {
  const id = ID_FIELDS.map((field) => entry[field]).find((value) => typeof value === 'string' || typeof value === 'number');
  const status = typeof entry['status'] === 'string' ? entry['status'].toLowerCase() : '';
  return {
    id: id === undefined ? undefined : String(id),
    name: typeof entry['name'] === 'string' ? entry['name'] : undefined,
    expiresAt: typeof entry['expires_at'] === 'string' ? entry['expires_at'] : undefined,
    revoked: status === 'revoked' || (entry['revoked_at'] !== undefined && entry['revoked_at'] !== null),
    fields: Object.keys(entry).sort(),
  };
}

function entriesOf(body: unknown): { entries: unknown[]; wrapper: string } | undefined {
  if (Array.isArray(body)) return { entries: body, wrapper: 'array' };
  if (!isObject(body)) return undefined;
  for (const wrapper of ['keys', 'items', 'data']) {
    const entries = body[wrapper];
    if (Array.isArray(entries)) return { entries, wrapper };
  }
  return undefined;
}

function nextPage(body: unknown, current: URL): URL | undefined {
  if (!isObject(body)) return undefined;
  const next = body['next'] ?? body['next_page'];
  if (typeof next === 'string' && next !== '') return new URL(next, current);
  const page = Number(current.searchParams.get('page') ?? '1');
  const following = typeof next === 'number' ? next : body['has_more'] === true ? page + 1 : undefined;
  if (following === undefined) return undefined;
  const url = new URL(current);
  url.searchParams.set('page', String(following));
  return url;
}

export async function listKeys(env: Env): Promise<KeyList> {
  const adminKey = required(env, 'KUBIYA_ADMIN_API_KEY');
  let url: URL | undefined = new URL(`${kubiyaBase(env)}/api/v1/auth/keys`);
  const list: KeyList = { keys: [], wrapper: '', pagingFields: [], pages: 0 };
  while (url && list.pages < MAX_PAGES) {
    const { status, body } = await getJson(url.href, `UserKey ${adminKey}`);
    if (status !== 200) throw new Error(`GET /api/v1/auth/keys answered ${status}`);
    const read = entriesOf(body);
    if (!read) throw new Error('GET /api/v1/auth/keys: no key array under keys, items, data or at the top level');
    list.pages += 1;
    list.wrapper = read.wrapper;
    if (isObject(body)) {
      for (const field of PAGING_FIELDS) if (field in body && !list.pagingFields.includes(field)) list.pagingFields.push(field);
    }
    list.keys.push(...read.entries.filter(isObject).map(readEntry));
    url = nextPage(body, url);
  }
  return list;
}

const isLive = (key: ListedKey, now: number): boolean => !key.revoked && (key.expiresAt === undefined || Date.parse(key.expiresAt) > now);

function shape(list: KeyList, key?: ListedKey): string[] {
  return [
    `  - list shape: entries under \`${list.wrapper}\`, ${list.pages} page(s), paging fields: ${list.pagingFields.length ? list.pagingFields.map((f) => `\`${f}\``).join(', ') : 'none'}`,
    ...(key ? [`  - fields of a key entry: ${key.fields.map((f) => `\`${f}\``).join(', ')}`] : []),
  ];
}

// ---- the checks --------------------------------------------------------------------------------------------

async function authenticates(env: Env): Promise<CheckResult> {
  const key = required(env, 'KUBIYA_API_KEY');
  let path = '/api/v1/users/self';
  let { status } = await getJson(`${kubiyaBase(env)}${path}`, `UserKey ${key}`);
  if (status === 404) {
    path = '/api/v1/users/current';
    ({ status } = await getJson(`${kubiyaBase(env)}${path}`, `UserKey ${key}`));
  }
  return {
    ok: status === 200,
    lines: [`the minted key authenticates: \`GET ${path}\` answered ${status}`],
  };
}

async function listed(env: Env, args: string[]): Promise<CheckResult> {
  const id = option(args, 'id');
  const name = option(args, 'name');
  const list = await listKeys(env);
  const key = list.keys.find((candidate) => candidate.id === id);
  if (!key) return { ok: false, lines: [`the key list shows key \`${id}\`: it is not listed`, ...shape(list, list.keys[0])] };
  const problems = [
    key.name === name ? undefined : `its name is \`${key.name ?? '(none)'}\`, not \`${name}\``,
    key.expiresAt ? undefined : 'it has no `expires_at`',
    isLive(key, Date.now()) ? undefined : 'it is not live',
  ].filter((problem) => problem !== undefined);
  return {
    ok: problems.length === 0,
    lines: [
      `the key list shows key \`${id}\` named \`${name}\`${key.expiresAt ? `, expiring ${key.expiresAt}` : ''}${problems.length ? `: ${problems.join('; ')}` : ''}`,
      ...shape(list, key),
    ],
  };
}

async function revoked(env: Env, args: string[], sleep: (ms: number) => Promise<void>): Promise<CheckResult> {
  const id = option(args, 'id');
  const attempts = Number(env['CANARY_CHECK_ATTEMPTS'] ?? '6');
  for (let attempt = 1; ; attempt += 1) {
    const list = await listKeys(env);
    const key = list.keys.find((candidate) => candidate.id === id);
    if (!key || key.revoked) {
      const how = key ? 'listed as revoked' : 'no longer listed';
      return { ok: true, lines: [`key \`${id}\` was revoked by the post step: ${how}`, ...shape(list, key)] };
    }
    if (attempt >= attempts) {
      return {
        ok: false,
        lines: [`key \`${id}\` was revoked by the post step: it is still listed and not marked revoked`, ...shape(list, key)],
      };
    }
    await sleep(5_000);
  }
}

async function slot(env: Env, args: string[]): Promise<CheckResult> {
  const prefix = option(args, 'prefix');
  const id = option(args, 'id');
  const list = await listKeys(env);
  const now = Date.now();
  const live = list.keys.filter((key) => key.name?.startsWith(prefix) && isLive(key, now));
  const ok = live.length === 1 && live[0]?.id === id;
  return {
    ok,
    lines: [
      `the slot \`${prefix}…\` holds exactly the new key \`${id}\`: live keys are ${live.length ? live.map((key) => `\`${key.id ?? '(no id)'}\``).join(', ') : 'none'}`,
      ...shape(list),
    ],
  };
}

async function secretUpdated(env: Env, args: string[]): Promise<CheckResult> {
  const repository = option(args, 'repository');
  const name = option(args, 'name');
  const since = Date.parse(option(args, 'since'));
  const token = required(env, 'GITHUB_TOKEN');
  const api = (env['GITHUB_API_URL'] || 'https://api.github.com').replace(/\/+$/, '');
  const { status, body } = await getJson(`${api}/repos/${repository}/actions/secrets/${encodeURIComponent(name)}`, `Bearer ${token}`);
  const updatedAt = isObject(body) && typeof body['updated_at'] === 'string' ? body['updated_at'] : undefined;
  // GitHub's timestamps have second precision: allow the second the check started in.
  const ok = status === 200 && updatedAt !== undefined && Date.parse(updatedAt) >= since - 1_000;
  return {
    ok,
    lines: [`the secret ${name} of ${repository} was written by this run: GitHub answered ${status}, updated_at ${updatedAt ?? '(none)'}`],
  };
}

export async function runCheck(
  check: string,
  args: string[],
  env: Env,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): Promise<CheckResult> {
  switch (check) {
    case 'authenticates':
      return authenticates(env);
    case 'listed':
      return listed(env, args);
    case 'revoked':
      return revoked(env, args, sleep);
    case 'slot':
      return slot(env, args);
    case 'secret-updated':
      return secretUpdated(env, args);
    default:
      throw new Error(`unknown check '${check}': use authenticates, listed, revoked, slot or secret-updated`);
  }
}

export function formatResult(result: CheckResult): string {
  const [first = '', ...rest] = result.lines;
  return [`- ${result.ok ? '✅' : '❌'} ${first}`, ...rest].join('\n') + '\n';
}

async function main(): Promise<void> {
  const [check = '', ...args] = process.argv.slice(2);
  let result: CheckResult;
  try {
    result = await runCheck(check, args, process.env);
  } catch (error) {
    result = { ok: false, lines: [`${check}: ${error instanceof Error ? error.message : String(error)}`] };
  }
  const text = formatResult(result);
  process.stdout.write(text);
  const summary = process.env['GITHUB_STEP_SUMMARY'];
  if (summary) appendFileSync(summary, text);
  process.exitCode = result.ok ? 0 : 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
