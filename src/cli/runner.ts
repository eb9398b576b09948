// The command line's Runner: the second implementation of the interface the modes run under (runner.ts is the
// Actions one). Inputs come from the flags and the environment (cli/args.ts), log lines go to stderr — neutralised,
// with every masked value replaced, and never a workflow command — a slot's lines fold into one GitLab section
// inside GitLab CI, outputs are collected for --json and the closing table.
import { neutralise } from '../log-text.ts';
import type { Runner, StepLog } from '../runner.ts';

export interface CommandRunner extends Runner {
  readonly outputs: Map<string, string>;
  /** the step failed (runner.fail was called) */
  failed(): boolean;
}

export function commandRunner(inputs: Map<string, string>, env: NodeJS.ProcessEnv): CommandRunner {
  const write = (text: string) => void process.stderr.write(text);
  const masked = new Set<string>();
  const outputs = new Map<string, string>();
  const state = new Map<string, string>();
  let failed = false;
  const clean = (text: string) => {
    let line = neutralise(text);
    for (const secret of masked) line = line.split(secret).join('***');
    return line;
  };
  const print = (text: string) => write(`${clean(text)}\n`);
  const log: StepLog = {
    info: print,
    warning: (text) => print(`warning: ${text}`),
    error: (text) => print(`error: ${text}`),
  };
  const sections = env['GITLAB_CI'] === 'true';
  let group = 0;
  return {
    env,
    input: (name) => inputs.get(name) ?? '',
    mask: (secret) => void (secret && masked.add(secret)),
    output: (name, value) => void outputs.set(name, value),
    exportVariable: () => {},
    state: { save: (name, value) => void state.set(name, value), get: (name) => state.get(name) ?? '' },
    log,
    fail(text) {
      failed = true;
      log.error(text);
    },
    group(title, lines, progress) {
      // GitLab folds a section between these markers (https://docs.gitlab.com/ci/jobs/job_logs/#custom-collapsible-sections).
      const id = `slot_${++group}`;
      const now = () => Math.floor(Date.now() / 1000);
      if (sections) write(`\u001b[0Ksection_start:${now()}:${id}[collapsed=false]\r\u001b[0K${clean(title)}\n`);
      else print(`== ${title}`);
      for (const line of lines) (line.warning ? log.warning : log.info)(`  ${line.text}`);
      if (sections) write(`\u001b[0Ksection_end:${now()}:${id}\r\u001b[0K\n`);
      // Long runs show how far they are.
      if (progress && progress.total > 1) print(`${progress.done}/${progress.total} targets done`);
    },
    summary: () => Promise.resolve(),
    outputs,
    failed: () => failed,
  };
}
