// The Actions runner, as every mode sees it: the one module that imports @actions/core. Inputs, masking, outputs,
// state, the log and the job summary go through this adapter (as create-github-app-token passes `core` to its
// main), so a mode is a plain function of a Runner and tests can hand it another.
import * as core from '@actions/core';
import type { Inputs } from './inputs.ts';
import { neutralise } from './log-text.ts';

export interface StepLog {
  info: (text: string) => void;
  warning: (text: string) => void;
  error: (text: string) => void;
}

export interface Runner {
  env: NodeJS.ProcessEnv;
  input: Inputs;
  /** hides `secret` in every later log line */
  mask: (secret: string) => void;
  output: (name: string, value: string) => void;
  exportVariable: (name: string, value: string) => void;
  state: { save: (name: string, value: string) => void; get: (name: string) => string };
  /** every line neutralised: a server string cannot start a workflow command */
  log: StepLog;
  /** marks the step failed with this one line */
  fail: (text: string) => void;
  /** lines printed together as one collapsible group; `progress`: slots done of all the run's slots */
  group: (title: string, lines: { warning: boolean; text: string }[], progress?: { done: number; total: number }) => void;
  /** appends to the job summary (nothing outside the runner) */
  summary: (markdown: string) => Promise<void>;
}

export function actionsRunner(env: NodeJS.ProcessEnv = process.env): Runner {
  const log: StepLog = {
    info: (text) => core.info(neutralise(text)),
    warning: (text) => core.warning(neutralise(text)),
    error: (text) => core.error(neutralise(text)),
  };
  return {
    env,
    // `store` is the command line's (--store gitlab); the action always keeps keys in GitHub secrets, whatever a workflow passes.
    input: (name) => (name === 'store' ? '' : core.getInput(name)),
    mask: (secret) => core.setSecret(secret),
    output: (name, value) => core.setOutput(name, value),
    exportVariable: (name, value) => core.exportVariable(name, value),
    state: { save: (name, value) => core.saveState(name, value), get: (name) => core.getState(name) },
    log,
    fail: (text) => core.setFailed(neutralise(text)),
    group(title, lines) {
      core.startGroup(neutralise(title));
      for (const line of lines) (line.warning ? log.warning : log.info)(line.text);
      core.endGroup();
    },
    async summary(markdown) {
      if (env['GITHUB_STEP_SUMMARY']) await core.summary.addRaw(markdown).write();
    },
  };
}
