// npm run docs: regenerates the README's Inputs and Outputs tables from action.yml, so they cannot drift.
// `--check` only reports whether the README is current (test/meta runs the same check).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { format, resolveConfig } from 'prettier';
import { parse } from 'yaml';

const root = path.resolve(import.meta.dirname, '..');
const README = path.join(root, 'README.md');

interface ActionMetadata {
  inputs: Record<string, { description: string; required?: boolean; default?: string }>;
  outputs: Record<string, { description: string }>;
}

const cell = (text: string) =>
  text
    .replace(/\|/g, '\\|')
    .replace(/\s*\n\s*/g, ' ')
    .trim();

function defaultCell(input: ActionMetadata['inputs'][string]): string {
  if (input.required) return '— (required)';
  return input.default === undefined || input.default === '' ? "`''`" : `\`${input.default}\``;
}

function tables(action: ActionMetadata): Record<'inputs' | 'outputs', string> {
  return {
    inputs: [
      '| input | default | description |',
      '| --- | --- | --- |',
      ...Object.entries(action.inputs).map(([name, input]) => `| \`${name}\` | ${defaultCell(input)} | ${cell(input.description)} |`),
    ].join('\n'),
    outputs: [
      '| output | description |',
      '| --- | --- |',
      ...Object.entries(action.outputs).map(([name, output]) => `| \`${name}\` | ${cell(output.description)} |`),
    ].join('\n'),
  };
}

/** The README with its generated sections replaced from action.yml, formatted as Prettier formats it. */
export async function renderReadme(readme = readFileSync(README, 'utf8'), actionYml = readFileSync(path.join(root, 'action.yml'), 'utf8')) {
  const generated = tables(parse(actionYml) as ActionMetadata);
  let text = readme;
  for (const section of ['inputs', 'outputs'] as const) {
    const pattern = new RegExp(`(<!-- action-${section}:start[^>]*-->)[\\s\\S]*?(<!-- action-${section}:end -->)`);
    if (!pattern.test(text)) throw new Error(`README.md has no <!-- action-${section}:start --> … <!-- action-${section}:end --> section`);
    text = text.replace(pattern, (_match, start: string, end: string) => `${start}\n\n${generated[section]}\n\n${end}`);
  }
  return format(text, { ...(await resolveConfig(README)), parser: 'markdown' });
}

if (import.meta.main) {
  const current = readFileSync(README, 'utf8');
  const next = await renderReadme(current);
  if (process.argv.includes('--check')) {
    if (next !== current) {
      console.error('README.md tables differ from action.yml: run npm run docs');
      process.exit(1);
    }
    console.log('README.md tables match action.yml.');
  } else if (next !== current) {
    writeFileSync(README, next);
    console.log('README.md tables regenerated from action.yml.');
  }
}
