import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderReadme } from '../../scripts/readme-tables.ts';
import { repoRoot } from './project-files.ts';

describe("the README's Inputs and Outputs tables", () => {
  it('are what `npm run docs` generates from action.yml', async () => {
    const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    expect(await renderReadme(readme), 'README.md tables differ from action.yml: run npm run docs').toBe(readme);
  });

  it('change when action.yml does', async () => {
    const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    const action = readFileSync(path.join(repoRoot, 'action.yml'), 'utf8').replace('default: gha', 'default: ci');
    expect(await renderReadme(readme, action)).not.toBe(readme);
  });
});
