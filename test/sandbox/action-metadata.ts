// What the runner reads from action.yml (inputs, their defaults, outputs, entry points), and
// the `${{ }}` expressions input defaults may carry.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

// ---------------------------------------------------------------------------------------------
// action.yml
// ---------------------------------------------------------------------------------------------

export interface ActionInputMetadata {
  default?: string;
  required?: boolean;
}

export interface ActionMetadata {
  inputs: Record<string, ActionInputMetadata>;
  outputs: string[];
  using: string;
  main: string;
  post?: string;
  postIf?: string;
}

export async function readActionMetadata(actionDir: string = repoRoot): Promise<ActionMetadata> {
  let text: string;
  try {
    text = await readFile(path.join(actionDir, 'action.yml'), 'utf8');
  } catch {
    text = await readFile(path.join(actionDir, 'action.yaml'), 'utf8');
  }
  return actionMetadataFromYaml(text);
}

export function actionMetadataFromYaml(text: string): ActionMetadata {
  const doc = asMap(parse(text), 'action.yml');
  const inputs: Record<string, ActionInputMetadata> = {};
  for (const [name, node] of Object.entries(asMap(doc['inputs'] ?? {}, 'inputs'))) {
    const spec = asMap(node ?? {}, `inputs.${name}`);
    const input: ActionInputMetadata = {};
    // The runner hands every input to the action as a string: `default: 0` is '0'.
    const def = scalarString(spec['default']);
    if (def !== undefined) input.default = def;
    // `required: true` parses as a boolean; a quoted 'true' still counts as required.
    const required = spec['required'];
    const requiredText = scalarString(required);
    if (typeof required === 'boolean') input.required = required;
    else if (requiredText !== undefined) input.required = /^(true|True|TRUE)$/.test(requiredText);
    inputs[name] = input;
  }
  const runs = asMap(doc['runs'] ?? null, 'runs');
  const main = scalarString(runs['main']);
  if (main === undefined) throw new Error('action.yml: runs.main is missing');
  const meta: ActionMetadata = {
    inputs,
    outputs: Object.keys(asMap(doc['outputs'] ?? {}, 'outputs')),
    using: scalarString(runs['using']) ?? '',
    main,
  };
  const post = scalarString(runs['post']);
  if (post !== undefined) meta.post = post;
  const postIf = scalarString(runs['post-if']);
  if (postIf !== undefined) meta.postIf = postIf;
  return meta;
}

function asMap(node: unknown, where: string): Record<string, unknown> {
  if (node === null || typeof node !== 'object' || Array.isArray(node)) {
    throw new Error(`action.yml: ${where} must be a mapping`);
  }
  return node as Record<string, unknown>;
}

/** A scalar as the string the runner sees (`true` → 'true', `0` → '0'); undefined for null/absent/collections. */
function scalarString(node: unknown): string | undefined {
  if (typeof node === 'string') return node;
  if (typeof node === 'number' || typeof node === 'boolean' || typeof node === 'bigint') return String(node);
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// `${{ }}` expressions in input defaults
// ---------------------------------------------------------------------------------------------

export type ExprValue = string | number | boolean | null | { [key: string]: ExprValue } | ExprValue[];

/** Replaces every `${{ expr }}` in `text`; supports context paths, literals, !, ==, !=, &&, ||. */
export function evaluateTemplate(text: string, contexts: Record<string, ExprValue>): string {
  return text.replace(/\$\{\{(.*?)\}\}/gs, (_all, expr: string) => exprToString(evaluateExpression(expr, contexts)));
}

function exprToString(v: ExprValue): string {
  if (v === null) return '';
  if (typeof v === 'object') return JSON.stringify(v, null, 2);
  return String(v);
}

function truthy(v: ExprValue): boolean {
  return !(v === null || v === false || v === 0 || v === '' || Number.isNaN(v));
}

function evaluateExpression(source: string, contexts: Record<string, ExprValue>): ExprValue {
  const tokens = source.match(/'(?:[^']|'')*'|&&|\|\||==|!=|[!().[\]]|[A-Za-z_][\w-]*|-?\d+(?:\.\d+)?|\S/g) ?? [];
  let pos = 0;
  const fail = (msg: string): never => {
    throw new Error(`expression ${JSON.stringify(source.trim())}: ${msg}`);
  };
  const peek = () => tokens[pos];
  const take = (t?: string) => {
    const tok = tokens[pos++];
    if (tok === undefined || (t !== undefined && tok !== t)) fail(`expected ${t ?? 'a token'}`);
    return tok!;
  };
  const or = (): ExprValue => {
    let left = and();
    while (peek() === '||') {
      take();
      const right = and();
      left = truthy(left) ? left : right;
    }
    return left;
  };
  const and = (): ExprValue => {
    let left = equality();
    while (peek() === '&&') {
      take();
      const right = equality();
      left = truthy(left) ? right : left;
    }
    return left;
  };
  const equality = (): ExprValue => {
    const left = unary();
    const op = peek();
    if (op !== '==' && op !== '!=') return left;
    take();
    const right = unary();
    const norm = (v: ExprValue) => (typeof v === 'string' ? v.toLowerCase() : v);
    return (norm(left) === norm(right)) === (op === '==');
  };
  const unary = (): ExprValue => {
    if (peek() === '!') {
      take();
      return !truthy(unary());
    }
    return primary();
  };
  const primary = (): ExprValue => {
    const tok = take();
    if (tok === '(') {
      const v = or();
      take(')');
      return v;
    }
    if (tok.startsWith("'")) return tok.slice(1, -1).replace(/''/g, "'");
    if (/^-?\d/.test(tok)) return Number(tok);
    if (tok === 'true' || tok === 'false') return tok === 'true';
    if (tok === 'null') return null;
    if (!/^[A-Za-z_]/.test(tok)) fail(`unexpected ${tok}`);
    if (peek() === '(') fail(`function ${tok}() is not supported by the runner emulator`);
    let value: ExprValue = lookup(contexts, tok);
    while (peek() === '.' || peek() === '[') {
      if (take() === '.') {
        value = lookup(value, take());
      } else {
        const key = primary();
        take(']');
        value = lookup(value, exprToString(key));
      }
    }
    return value;
  };
  const value = or();
  if (pos !== tokens.length) fail(`unexpected ${tokens[pos]}`);
  return value;
}

function lookup(obj: ExprValue | Record<string, ExprValue>, key: string): ExprValue {
  if (obj === null || typeof obj !== 'object') return null;
  if (Array.isArray(obj)) return obj[Number(key)] ?? null;
  const hit = Object.keys(obj).find((k) => k.toLowerCase() === key.toLowerCase());
  return hit === undefined ? null : (obj[hit] ?? null);
}
