// Finds secrets in everything a run leaves behind — raw, or in a form that still leaks them
// (a JWT's payload or signature alone, Base64 at any byte alignment, URL- or JSON-escaped).
import type { FileCommandEntry, StepResult } from './runner.ts';
import { parseFileCommand } from './runner.ts';

export type LeakForm = 'raw' | 'jwt-payload' | 'jwt-signature' | 'base64' | 'base64url' | 'url-encoded' | 'json-escaped';

export interface LeakFinding {
  secretIndex: number;
  artifact: string;
  offset: number;
  form: LeakForm;
  length: number;
}

const MIN_SECRET_LENGTH = 8;

/** Each form a secret may take in an artifact; a longer match is reported before its parts. */
export function secretForms(secret: string): Array<{ form: LeakForm; text: string }> {
  const forms: Array<{ form: LeakForm; text: string }> = [{ form: 'raw', text: secret }];
  const jwt = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/.exec(secret);
  if (jwt) {
    forms.push({ form: 'jwt-payload', text: jwt[2]! }, { form: 'jwt-signature', text: jwt[3]! });
  }
  // Base64 of text that contains the secret encodes it differently at each of the three byte
  // alignments; the whole 3-byte groups of each alignment appear verbatim.
  const bytes = Buffer.from(secret, 'utf8');
  for (const shift of [0, 1, 2]) {
    const whole = bytes.subarray(shift, shift + Math.floor((bytes.length - shift) / 3) * 3);
    forms.push({ form: 'base64', text: whole.toString('base64') }, { form: 'base64url', text: whole.toString('base64url') });
  }
  const url = encodeURIComponent(secret);
  const urlStrict = url.replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
  for (const u of [url, urlStrict, urlStrict.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase()), urlStrict.replace(/%20/g, '+')]) {
    forms.push({ form: 'url-encoded', text: u });
  }
  const json = JSON.stringify(secret).slice(1, -1);
  forms.push({ form: 'json-escaped', text: json }, { form: 'json-escaped', text: json.replace(/\//g, '\\/') });
  // Same text twice is one form; parts too short to identify anything are dropped.
  const seen = new Set<string>();
  return forms.filter(({ text }) => {
    if (text.length < MIN_SECRET_LENGTH || seen.has(text)) return false;
    seen.add(text);
    return true;
  });
}

/**
 * Every place a secret (or a derived form of it) occurs in the artifacts. A hit inside a longer
 * hit of the same secret (the payload inside the raw JWT) is not reported twice.
 */
export function scanForLeaks(input: { secrets: string[]; artifacts: Record<string, string> }): LeakFinding[] {
  input.secrets.forEach((secret, index) => {
    if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH) {
      throw new Error(
        `scanForLeaks: secret #${index} is ${typeof secret === 'string' ? `${secret.length} chars` : typeof secret}; ` +
          `secrets shorter than ${MIN_SECRET_LENGTH} characters cannot be scanned for reliably — this is a test bug`,
      );
    }
  });
  const findings: LeakFinding[] = [];
  input.secrets.forEach((secret, secretIndex) => {
    const forms = secretForms(secret);
    for (const [artifact, content] of Object.entries(input.artifacts)) {
      const covered: Array<[number, number]> = [];
      for (const { form, text } of forms) {
        for (let at = content.indexOf(text); at >= 0; at = content.indexOf(text, at + 1)) {
          const end = at + text.length;
          if (covered.some(([s, e]) => s <= at && end <= e)) continue;
          covered.push([at, end]);
          findings.push({ secretIndex, artifact, offset: at, form, length: text.length });
        }
      }
    }
  });
  return findings.sort((a, b) => a.secretIndex - b.secretIndex || a.artifact.localeCompare(b.artifact) || a.offset - b.offset);
}

/** One line per finding, with the surrounding text and the secret itself replaced — safe to print. */
export function describeLeaks(findings: LeakFinding[], artifacts: Record<string, string>): string {
  return findings
    .map((f) => {
      const content = artifacts[f.artifact] ?? '';
      const before = content.slice(Math.max(0, f.offset - 40), f.offset);
      const after = content.slice(f.offset + f.length, f.offset + f.length + 40);
      return `secret #${f.secretIndex} (${f.form}) in ${f.artifact} at ${f.offset}: …${JSON.stringify(before)} <secret#${f.secretIndex}> ${JSON.stringify(after)}…`;
    })
    .join('\n');
}

/** Throws with a readable (secret-free) report if any secret leaks into the artifacts. */
export function assertNoLeaks(secrets: string[], artifacts: Record<string, string>): void {
  const findings = scanForLeaks({ secrets, artifacts });
  if (findings.length) {
    throw new Error(`${findings.length} leak(s) found:\n${describeLeaks(findings, artifacts)}`);
  }
}

export type AllowedPlace = `output:${string}` | `env:${string}`;

/**
 * What a step leaves for others to read: stdout/stderr (add-mask payloads removed — carrying the
 * secret is their job), each output/state/env entry, the rest of each command file, GITHUB_PATH,
 * the summary and files written to the workspace or RUNNER_TEMP. `allow` drops the places a
 * credential may legitimately be (mint mode: `output:api-key`, `env:KUBIYA_API_KEY`).
 */
export function stepArtifacts(result: StepResult, opts: { allow?: AllowedPlace[] } = {}): Record<string, string> {
  const allow = new Set<string>(opts.allow ?? []);
  const artifacts: Record<string, string> = {
    stdout: withoutMaskPayloads(result, 'stdout'),
    stderr: withoutMaskPayloads(result, 'stderr'),
  };
  // Each entry's value is its own artifact; the names and delimiters left over are one more.
  const fromFile = (prefix: string, text: string) => {
    let entries: FileCommandEntry[];
    try {
      entries = parseFileCommand(text);
    } catch {
      artifacts[`${prefix}-file`] = text;
      return;
    }
    entries.forEach(({ name, value }, k) => {
      const key = artifacts[`${prefix}:${name}`] === undefined ? `${prefix}:${name}` : `${prefix}:${name}#${k}`;
      if (!allow.has(`${prefix}:${name}`)) artifacts[key] = value;
    });
    artifacts[`${prefix}-file`] = entries.map((e) => (e.delimiter ? `${e.name}<<${e.delimiter}` : `${e.name}=`)).join('\n');
  };
  fromFile('output', result.files.output);
  fromFile('state', result.files.state);
  fromFile('env', result.files.env);
  // Deprecated ::set-output / ::save-state commands are in stdout already.
  artifacts['path'] = result.files.path;
  artifacts['summary'] = result.summary;
  for (const [rel, content] of Object.entries(result.createdFiles)) artifacts[`file:${rel}`] = content;
  return artifacts;
}

function withoutMaskPayloads(result: StepResult, stream: 'stdout' | 'stderr'): string {
  return result.lines
    .filter((l) => l.stream === stream)
    .map((l) => (l.command?.command === 'add-mask' ? '::add-mask::<removed>' : l.text))
    .join('\n');
}

export interface RecordedRequest {
  seq?: number;
  method: string;
  path: string;
  /** Query string, if the log keeps it apart from the path (as the emulators' RequestRecord does). */
  query?: URLSearchParams | string;
  headers: Record<string, string | string[] | undefined>;
  body?: unknown;
}

/**
 * Artifacts from an emulator's request log: `request:<seq>:path` (with the query string),
 * `request:<seq>:body` (when non-empty), `request:<seq>:header:<lower-case name>`. `seq` is the
 * record's own `seq` (the emulators number requests from 1), else its 1-based position in the
 * list. Drop the keys where a credential is meant to travel before scanning.
 */
export function emulatorArtifacts(requests: readonly RecordedRequest[]): Record<string, string> {
  const artifacts: Record<string, string> = {};
  requests.forEach((req, index) => {
    const seq = req.seq ?? index + 1;
    const query = req.query === undefined ? '' : req.query.toString().replace(/^\?/, '');
    artifacts[`request:${seq}:path`] = query ? `${req.path}?${query}` : req.path;
    const body = req.body;
    if (body !== undefined && body !== null && body !== '') {
      artifacts[`request:${seq}:body`] =
        typeof body === 'string' ? body : body instanceof Uint8Array ? Buffer.from(body).toString('utf8') : JSON.stringify(body);
    }
    for (const [name, value] of Object.entries(req.headers)) {
      if (value === undefined) continue;
      artifacts[`request:${seq}:header:${name.toLowerCase()}`] = Array.isArray(value) ? value.join(', ') : value;
    }
  });
  return artifacts;
}
