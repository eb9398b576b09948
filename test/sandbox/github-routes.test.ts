// The GitHub emulator serves only routes GitHub has: each entry of its route table must be a route,
// with the same method, in the table @octokit/plugin-rest-endpoint-methods generates from GitHub's
// OpenAPI description (reached through @actions/github's Octokit, as src/github/client.ts does).
import { GitHub } from '@actions/github/lib/utils';
import sodium from 'libsodium-wrappers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitHubEmulator } from './github-emulator.ts';
import type { GitHubEmulator } from './github-emulator.ts';
import { GITHUB_ROUTES, matchRoute } from './github-routes.ts';

/** `METHOD /path/{param}` of every REST method Octokit knows. */
function octokitRoutes(): Set<string> {
  const rest = new GitHub({ auth: 'unused' }).rest as unknown as Record<
    string,
    Record<string, { endpoint: { DEFAULTS: { method: string; url: string } } }>
  >;
  const routes = new Set<string>();
  for (const scope of Object.values(rest)) {
    for (const name of Object.keys(scope)) {
      const { method, url } = scope[name]!.endpoint.DEFAULTS;
      routes.add(`${method} ${url}`);
    }
  }
  return routes;
}

/** Each parameter filled with something the seeded emulator has. */
const PARAMS: Record<string, string> = {
  owner: 'acme',
  repo: 'web',
  org: 'acme',
  environment_name: 'production',
  secret_name: 'K',
  workflow_id: 'rotate.yml',
};

let emulator: GitHubEmulator;
beforeAll(async () => {
  await sodium.ready;
  emulator = await startGitHubEmulator();
  emulator.addRepo('acme/web', { environments: ['production'] });
  emulator.addOrg('acme');
  emulator.addToken('t', { kind: 'pat' });
  emulator.addWorkflow('acme/web', 'rotate.yml');
  for (const location of [
    { repo: 'acme/web' },
    { repo: 'acme/web', type: 'dependabot' as const },
    { repo: 'acme/web', environment: 'production' },
  ]) {
    emulator.seedSecret(location, 'K', 'v');
  }
  emulator.setOrgSecret({ org: 'acme' }, 'K', { visibility: 'selected' });
  emulator.setOrgSecret({ org: 'acme', type: 'dependabot' }, 'K', { visibility: 'selected' });
});
afterAll(async () => {
  await emulator.close();
});

describe('github emulator routes', () => {
  it('serves only routes of GitHub’s REST description, with their methods', () => {
    const known = octokitRoutes();
    expect(known.size).toBeGreaterThan(500); // the table was found, not an empty stand-in
    expect(known.has('PUT /repos/{owner}/{repo}/actions/workflows/{workflow_id}/enable')).toBe(true);
    expect(GITHUB_ROUTES.filter((route) => !known.has(route))).toEqual([]);
    expect(new Set(GITHUB_ROUTES).size).toBe(GITHUB_ROUTES.length);
  });

  it('answers every route of its table (none is listed but unserved)', async () => {
    const unserved: string[] = [];
    // Deletions last: a secret deleted first would 404 on its other routes.
    const ordered = [...GITHUB_ROUTES].sort((a, b) => Number(a.startsWith('DELETE')) - Number(b.startsWith('DELETE')));
    for (const route of ordered) {
      const [method = '', template = ''] = route.split(' ');
      const path = template.replace(/\{(\w+)\}/g, (_, name: string) => PARAMS[name] ?? `unknown-${name}`);
      // A write without a body is answered by the route (400/422) rather than left to the 404 of unknown paths.
      const res = await fetch(`${emulator.url}${path}`, {
        method,
        headers: { authorization: 'token t' },
        body: method === 'PUT' ? '{}' : undefined,
      });
      if (res.status === 404) unserved.push(`${route} → 404`);
    }
    expect(unserved).toEqual([]);
  });

  it('refuses a route outside its table with 404, and prefers a literal segment to a parameter', async () => {
    expect(
      (await fetch(`${emulator.url}/repos/acme/web/actions/secrets`, { method: 'POST', headers: { authorization: 'token t' } })).status,
    ).toBe(404);
    expect(
      (
        await fetch(`${emulator.url}/repos/acme/web/actions/workflows/rotate.yml/disable`, {
          method: 'PUT',
          headers: { authorization: 'token t' },
        })
      ).status,
    ).toBe(404);
    expect(matchRoute('GET', ['repos', 'acme', 'web', 'actions', 'secrets', 'public-key'])?.route).toBe(
      'GET /repos/{owner}/{repo}/actions/secrets/public-key',
    );
    expect(matchRoute('GET', ['repos', 'acme', 'web', 'actions', 'workflows', '42', 'runs'])).toEqual({
      route: 'GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs',
      params: { owner: 'acme', repo: 'web', workflow_id: '42' },
    });
  });
});
