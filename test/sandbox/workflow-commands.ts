// What the runner makes of a step's output: the file commands (GITHUB_OUTPUT/STATE/ENV),
// workflow commands on stdout/stderr, and the masking that decides what a user sees in the log.

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

/** The parts of a step's result the log helpers below read; a StepResult is one. */
export interface StepLog {
  /** stdout and stderr lines in arrival order, as the runner reads them. */
  lines: LogLine[];
  /** Masks already active when the step started. */
  initialMasks: string[];
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

export function processCommands(lines: LogLine[], runnerWarnings: string[]) {
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
export function maskedLog(result: StepLog): string {
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
export function firstIndexOf(result: StepLog, value: string): number {
  return result.lines.findIndex((l) => l.command?.command !== 'add-mask' && lineShows(l, value));
}

/** Index into result.lines of this step's first add-mask that masks `value`, or -1. */
export function maskIndexOf(result: StepLog, value: string): number {
  return result.lines.findIndex((l) => l.command?.command === 'add-mask' && maskVariants(l.command.message).includes(value));
}

/** True if `value` was masked (before the step, or by an add-mask) before any line showed it. */
export function isMaskedBeforeUse(result: StepLog, value: string): boolean {
  const first = firstIndexOf(result, value);
  if (result.initialMasks.some((m) => maskVariants(m).includes(value))) return true;
  const mask = maskIndexOf(result, value);
  return mask >= 0 && (first < 0 || mask < first);
}
