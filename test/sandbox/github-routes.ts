// Every route the GitHub emulator serves, written as GitHub's REST description writes them
// (`METHOD /path/{param}`). The emulator answers 404 to anything not listed here before its own
// routing runs, so this table is the whole of what it serves; github-routes.test.ts checks each
// entry against the route table Octokit generates from GitHub's OpenAPI description.

const SECRETS = (collection: string, org: boolean): string[] => [
  `GET ${collection}`,
  `GET ${collection}/public-key`,
  `GET ${collection}/{secret_name}`,
  `PUT ${collection}/{secret_name}`,
  `DELETE ${collection}/{secret_name}`,
  ...(org ? [`GET ${collection}/{secret_name}/repositories`, `PUT ${collection}/{secret_name}/repositories`] : []),
];

const WORKFLOW = '/repos/{owner}/{repo}/actions/workflows/{workflow_id}';

export const GITHUB_ROUTES: readonly string[] = [
  'GET /repos/{owner}/{repo}',
  ...SECRETS('/repos/{owner}/{repo}/actions/secrets', false),
  ...SECRETS('/repos/{owner}/{repo}/dependabot/secrets', false),
  'GET /repos/{owner}/{repo}/environments/{environment_name}',
  ...SECRETS('/repos/{owner}/{repo}/environments/{environment_name}/secrets', false),
  'GET /orgs/{org}',
  ...SECRETS('/orgs/{org}/actions/secrets', true),
  ...SECRETS('/orgs/{org}/dependabot/secrets', true),
  'GET /repos/{owner}/{repo}/actions/workflows',
  `GET ${WORKFLOW}`,
  `GET ${WORKFLOW}/runs`,
  `PUT ${WORKFLOW}/enable`,
];

export interface RouteMatch {
  /** The table entry, e.g. `GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}`. */
  route: string;
  /** Parameter name → the decoded path segment. */
  params: Record<string, string>;
}

interface CompiledRoute {
  route: string;
  method: string;
  segments: string[];
}

const COMPILED: CompiledRoute[] = GITHUB_ROUTES.map((route) => {
  const [method = '', path = ''] = route.split(' ');
  return { route, method, segments: path.split('/').slice(1) };
});

function matchOne(compiled: CompiledRoute, segments: string[]): Record<string, string> | undefined {
  if (compiled.segments.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, pattern] of compiled.segments.entries()) {
    const actual = segments[index] ?? '';
    const name = /^\{(\w+)\}$/.exec(pattern)?.[1];
    if (name === undefined) {
      if (pattern !== actual) return undefined;
    } else {
      if (actual === '') return undefined;
      params[name] = actual;
    }
  }
  return params;
}

/**
 * The route a request takes: `segments` are the path's segments after any GHES `/api/v3`, each decoded
 * once. A literal segment wins over a parameter (`…/secrets/public-key` is not a secret named `public-key`).
 */
export function matchRoute(method: string, segments: string[]): RouteMatch | undefined {
  let best: RouteMatch | undefined;
  for (const compiled of COMPILED) {
    if (compiled.method !== method) continue;
    const params = matchOne(compiled, segments);
    if (params && (!best || Object.keys(params).length < Object.keys(best.params).length)) {
      best = { route: compiled.route, params };
    }
  }
  return best;
}
