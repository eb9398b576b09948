// Every bad input stops the action before its first request: exit 1 and one `::error::` line that
// names the input.
import { describe } from 'vitest';
import type { Inputs } from './world.ts';
import { annotations, expectExit, it } from './world.ts';

interface BadInput {
  input: string;
  inputs: Inputs;
  /** more the message must say */
  says?: RegExp[];
}

const BAD_INPUTS: BadInput[] = [
  { input: 'mode', inputs: { mode: 'rotation' } },
  { input: 'ttl', inputs: { ttl: '4m' }, says: [/5m/] },
  { input: 'ttl', inputs: { ttl: '366d' }, says: [/365d/] },
  { input: 'ttl', inputs: { ttl: 'a month' } },
  { input: 'ttl', inputs: { mode: 'mint', ttl: '4m', 'github-token': undefined } },
  { input: 'grace-period', inputs: { 'grace-period': '1 day' } },
  { input: 'grace-period', inputs: { 'grace-period': '-1d' } },
  { input: 'secret-name', inputs: { 'secret-name': 'GITHUB_X' } },
  { input: 'secret-name', inputs: { 'secret-name': '1ABC' } },
  { input: 'secret-name', inputs: { 'secret-name': 'with-dash' } },
  { input: 'repositories', inputs: { repositories: 'a/b/c' } },
  { input: 'repositories', inputs: { repositories: 'acme/web, /web' } },
  { input: 'kubiya-api-url', inputs: { 'kubiya-api-url': 'http://api.kubiya.ai' }, says: [/https:\/\//] },
  { input: 'kubiya-api-url', inputs: { 'kubiya-api-url': 'http://127.0.0.1.nip.io:8080' } },
  { input: 'github-api-url', inputs: { 'github-api-url': 'http://github.example.com/api/v3' }, says: [/https:\/\//] },
  { input: 'verify', inputs: { verify: 'yes' } },
  { input: 'dry-run', inputs: { 'dry-run': '1' } },
  { input: 'revoke-previous', inputs: { 'revoke-previous': 'no' } },
  { input: 'admin-api-key', inputs: { 'admin-api-key': '' }, says: [/fork/i, /Dependabot/] },
  { input: 'github-token', inputs: { 'github-token': undefined }, says: [/Secrets: Read and write/] },
];

describe.concurrent('input validation', () => {
  it.for(BAD_INPUTS)('rejects $input: $inputs before sending any request', async ({ input, inputs, says }, { world, expect }) => {
    const step = await world.run({ inputs });
    expectExit(step, 1);

    expect(world.requestCount(), 'not one request to Kubiya or GitHub').toBe(0);
    const lines = step.stdout.split('\n').filter((line) => line !== '' && !line.startsWith('::add-mask::'));
    expect(lines, 'one line on stdout').toHaveLength(1);
    expect(lines[0]).toMatch(/^::error::/);
    const [message] = annotations(step, 'error');
    expect(message).toContain(input);
    for (const pattern of says ?? []) expect(message).toMatch(pattern);
  });
});
