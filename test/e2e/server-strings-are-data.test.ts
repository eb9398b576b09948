// Key names, ids, descriptions and error texts come from servers: they are data. Whatever they carry, no
// workflow command can start from them in the log, and the job summary shows them as text, not markup.
import { describe, expect } from 'vitest';
import { tamper } from '../faults/harness.ts';
import { summaryHtml, visibleText } from '../sandbox/rendered-summary.ts';
import type { StepResult } from '../sandbox/runner.ts';
import { DAY, KEYS_PATH, KEY_PATH, expectExit, it } from './world.ts';

/** Every form of workflow command a hostile string could try to start. */
const HOSTILE = '\n::warning::pwned\n::set-output name=key-id::pwned\n::stop-commands::pwned\n::error::pwned\r\n##[error]pwned\n';

/**
 * Markup a key name, id, description or error text could carry into the job summary. No ':' (an environment name in
 * a managed key name cannot have one), but GFM autolinks `www.` and e-mail addresses without it.
 */
const MARKUP =
  '[x](https//evil.test/x) ![i](https//evil.test/i.png) **BOLDED** __UNDER__ _EMPH_ ~~STRUCK~~ <img src=x onerror=alert(1)> ' +
  '<b>RAW</b> www.evil.test mail@evil.test `tick` | &amp; &#60;';

/** The commands the step issued whose text came from the hostile string as a command of its own. */
function injected(step: StepResult): string[] {
  return step.commands
    .filter((command) => command.command === 'stop-commands' || command.command === 'set-output' || /^pwned/.test(command.message))
    .map((command) => `::${command.command}::${command.message}`);
}

function expectInert(step: StepResult): void {
  expect(injected(step), 'no workflow command started from a server string').toEqual([]);
  for (const line of step.lines) {
    expect(line.text, 'no line starts a command from server text').not.toMatch(/^\s*(::[a-z-]+[^:]*::pwned|##\[[a-z]+\]pwned)/i);
  }
  expect(step.outputs['key-id'] ?? '', 'no output was set by a server string').not.toBe('pwned');
  expectSummaryInert(step);
}

/** The job summary file rendered as GitHub renders it: no link, image, emphasis, tag or line of its own from a server string. */
function expectSummaryInert(step: StepResult): void {
  const html = summaryHtml(step.summary);
  expect(html, 'no link, image, emphasis, strikethrough or raw tag').not.toMatch(/<(a|img|em|del|script|b)[\s>]/);
  for (const word of ['BOLDED', 'UNDER', 'EMPH', 'STRUCK', 'RAW']) expect(html).not.toMatch(new RegExp(`>${word}<`));
  expect(visibleText(html), 'no line of the summary starts a workflow command').not.toMatch(/^\s*::/m);
}

describe('server strings are data', () => {
  it('in a key id listed by Kubiya and in its error texts (revoke mode)', async ({ world }) => {
    const key = world.seedManagedKey({ runId: world.runId(), createdAt: new Date(Date.now() - DAY) });
    tamper(world.kubiya, (request, response) => {
      if (request.method === 'GET' && request.path === KEYS_PATH) {
        const body = response.body as { keys: { id: string; description: string }[] };
        for (const listed of body.keys) {
          if (listed.id !== key.id) continue;
          listed.id = `${listed.id}${HOSTILE}`;
          listed.description = `<img src=x onerror=alert(1)>${HOSTILE}`;
        }
      }
      if (request.method === 'DELETE') {
        return { status: 500, body: { detail: { message: `backend exploded${HOSTILE}`, hint: `<script>x</script>${HOSTILE}` } } };
      }
      return undefined;
    });

    const step = await world.run({ inputs: { mode: 'revoke', 'github-token': undefined } });
    expectExit(step, 1);
    expectInert(step);
  });

  it('in the error texts of a rotation that fails (Kubiya and GitHub)', async ({ world }) => {
    world.seedRotatedSecret({ createdAt: new Date(Date.now() - 7 * DAY) });
    world.kubiya.injectFault({
      method: 'DELETE',
      path: KEY_PATH,
      kind: 'status',
      status: 400,
      body: { detail: `no${HOSTILE}[click](https://evil.test) ![t](https://evil.test/t.png)` },
    });
    const rotated = await world.run();
    expectExit(rotated, 1);
    expectInert(rotated);
    expect(rotated.summary, 'no link or image from a server string').not.toMatch(/(?<!\\)\]\(https:\/\/evil/);

    world.github.injectFault({ method: 'GET', kind: 'status', status: 403, body: { message: `denied${HOSTILE}` } });
    const refused = await world.run();
    expectExit(refused, 1);
    expectInert(refused);
  });

  it("in the key names an audit of repositories: '*' finds, and in their descriptions and ids", async ({ world }) => {
    const scope = `acme/web@${MARKUP}`;
    const key = world.seedManagedKey({
      runId: world.runId(),
      scope,
      createdAt: new Date(Date.now() - 25 * DAY),
      expiresAt: new Date(Date.now() + DAY),
      description: MARKUP,
    });
    tamper(world.kubiya, (request, response) => {
      if (request.method !== 'GET' || request.path !== KEYS_PATH) return undefined;
      for (const listed of (response.body as { keys: { id: string }[] }).keys) if (listed.id === key.id) listed.id = `${key.id} ${MARKUP}`;
      return undefined;
    });

    const step = await world.run({ inputs: { mode: 'audit', repositories: '*', 'github-token': undefined, 'fail-on': '' } });
    expectExit(step, 0);
    expectInert(step);
    const text = visibleText(summaryHtml(step.summary));
    expect(text, 'the target, as typed').toContain(scope);
    expect(text, 'the key name, as typed').toContain(key.name);
    expect(text, 'the key id, as typed').toContain(`${key.id} ${MARKUP}`);
  });

  it("in the key ids of rotate's revoked-keys table", async ({ world }) => {
    const previous = world.seedRotatedSecret({ createdAt: new Date(Date.now() - 7 * DAY) });
    tamper(world.kubiya, (request, response) => {
      if (request.method !== 'GET' || request.path !== KEYS_PATH) return undefined;
      for (const listed of (response.body as { keys: { id: string }[] }).keys)
        if (listed.id === previous.id) listed.id = `${previous.id} ${MARKUP}`;
      return undefined;
    });
    const step = await world.run();
    expectInert(step);
    expect(visibleText(summaryHtml(step.summary)), 'the key id, as typed').toContain(`${previous.id} ${MARKUP}`);
  });
});
