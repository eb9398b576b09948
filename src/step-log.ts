// The step's log. Key names, ids and error texts come from servers: they are data, so every line is
// neutralised before it is written — one line, no control characters, and no `::` that could start a
// workflow command (`::warning::`, `::set-output`, `::stop-commands::`) — whatever a server sent.
import * as core from '@actions/core';
import type { RotationLog } from './rotate.ts';

export function neutralise(text: string): string {
  return (
    text
      // eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
      .replace(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ')
      .replace(/::/g, ':\u200b:')
  );
}

export const stepLog = {
  info: (text: string) => core.info(neutralise(text)),
  warning: (text: string) => core.warning(neutralise(text)),
  error: (text: string) => core.error(neutralise(text)),
  fail: (text: string) => core.setFailed(neutralise(text)),
};

/** Slots run in parallel; each one's lines are printed together as a group when it is done. */
export function groupedLog(): RotationLog {
  return {
    forSlot(target) {
      const lines: { warning: boolean; text: string }[] = [];
      return {
        info: (text) => lines.push({ warning: false, text }),
        warning: (text) => lines.push({ warning: true, text }),
        done: () => {
          core.startGroup(neutralise(target));
          for (const line of lines) (line.warning ? stepLog.warning : stepLog.info)(line.text);
          core.endGroup();
        },
      };
    },
  };
}
