// The fault matrix: for every request k of a clean rotation and every kind of fault, a rotation from a
// fresh world with that fault at the k-th request, and whether the spec's invariant survived it.
import type { FaultSpec, Position, Recording, Scenario } from './harness.ts';
import { checkRotation, describePosition, injectAt, rotateOnce, stage, withWorld } from './harness.ts';

export type MatrixKind = '5xx' | 'reset' | 'hang' | 'lost-response' | 'lost-response, every try' | 'lost-response, then 5xx';

export const MATRIX_KINDS: readonly MatrixKind[] = [
  '5xx',
  'reset',
  'hang',
  'lost-response',
  'lost-response, every try',
  'lost-response, then 5xx',
];

interface KindSpec {
  /** several: the first applies to the request, each next one to the retries after it */
  fault: FaultSpec | FaultSpec[];
  /** no answer ever comes: a PUT with this fault has an unknown outcome */
  noAnswer: boolean;
  what: string;
}

export const KIND_SPECS: Record<MatrixKind, KindSpec> = {
  '5xx': {
    fault: { kind: 'status', status: 503, body: { message: 'Service Unavailable' }, times: Infinity },
    noAnswer: false,
    what: 'persistent 503',
  },
  reset: { fault: { kind: 'reset', times: Infinity }, noAnswer: true, what: 'persistent connection reset' },
  hang: { fault: { kind: 'hang', times: Infinity }, noAnswer: true, what: 'no answer ever (1 s timeout)' },
  // At the mint: the key is created and the answer lost. Elsewhere too: the request takes effect (a PUT writes
  // the secret, a DELETE revokes) and the answer is lost.
  'lost-response': {
    fault: { kind: 'lost-response', times: 1 },
    noAnswer: true,
    what: 'takes effect, the answer is lost (once)',
  },
  'lost-response, every try': {
    fault: { kind: 'lost-response', times: Infinity },
    noAnswer: true,
    what: 'every try takes effect (a mint: creates a key), every answer lost',
  },
  // The first try takes effect and its answer is lost; every retry is told 503. A PUT's outcome is then unknown:
  // the secret may hold the new key, whatever the last answer said.
  'lost-response, then 5xx': {
    fault: [
      { kind: 'lost-response', times: 1 },
      { kind: 'status', status: 503, body: { message: 'Service Unavailable' }, times: Infinity },
    ],
    noAnswer: true,
    what: 'the first try takes effect and its answer is lost, every retry gets 503',
  },
};

export interface CaseOutcome {
  kind: MatrixKind;
  position: Position;
  exitCode: number | null;
  violations: string[];
  /** the step's last error annotation, for the report */
  message: string | undefined;
}

/** One rotation from a fresh world with `kind` at the request `position` names; never throws. */
export async function runFaultCase(scenario: Scenario, position: Position, kind: MatrixKind): Promise<CaseOutcome> {
  const spec = KIND_SPECS[kind];
  const outcome: CaseOutcome = { kind, position, exitCode: null, violations: [], message: undefined };
  try {
    await withWorld(async (world) => {
      const staged = stage(world, scenario);
      injectAt(staged, position, spec.fault);
      const step = await rotateOnce(staged);
      outcome.exitCode = step.exitCode;
      outcome.message = step.commands.filter((command) => command.command === 'error').at(-1)?.message;
      const unknownPutOf = spec.noAnswer && position.role === 'secret write' ? position.repo : undefined;
      outcome.violations.push(...checkRotation(staged, step, { faultAt: position, unknownPutOf }));
    });
  } catch (error) {
    // The world's closing leak scan, or the harness itself.
    outcome.violations.push(`closing checks: ${error instanceof Error ? error.message : String(error)}`);
  }
  return outcome;
}

export function matrixCases(recording: Recording): { kind: MatrixKind; position: Position }[] {
  return MATRIX_KINDS.flatMap((kind) => recording.positions.map((position) => ({ kind, position })));
}

export interface SurvivalRow {
  scenario: string;
  /** requests in the clean rotation */
  requests: number;
  kind: MatrixKind;
  /** the fault, in words */
  what: string;
  survived: number;
  total: number;
  /** the positions that did not survive, described */
  lost: string[];
}

export function survivalRows(recording: Recording, outcomes: readonly CaseOutcome[]): SurvivalRow[] {
  const total = recording.positions.length;
  return MATRIX_KINDS.map((kind) => {
    const ofKind = outcomes.filter((outcome) => outcome.kind === kind);
    const lost = ofKind.filter((outcome) => outcome.violations.length > 0);
    return {
      scenario: recording.scenario.name,
      requests: total,
      kind,
      what: KIND_SPECS[kind].what,
      survived: ofKind.length - lost.length,
      total: ofKind.length,
      lost: lost.map((outcome) => `${describePosition(outcome.position, total)}: ${outcome.violations.join('; ')}`),
    };
  });
}

export function formatSurvival(rows: readonly SurvivalRow[]): string {
  const lines: string[] = [];
  for (const scenario of [...new Set(rows.map((row) => row.scenario))]) {
    const ofScenario = rows.filter((row) => row.scenario === scenario);
    lines.push(`fault matrix, ${scenario} (K = ${ofScenario[0]!.requests} requests in a clean rotation):`);
    for (const row of ofScenario) {
      lines.push(`  ${row.kind.padEnd(26)} ${`${row.survived}/${row.total}`.padStart(6)} survived   (${row.what})`);
      for (const lost of row.lost) lines.push(`      lost at ${lost}`);
    }
  }
  return lines.join('\n');
}
