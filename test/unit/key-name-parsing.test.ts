// parseManagedKeyName: the inverse of managedKeyName, by the exact grammar of key names.
import { describe, expect, it } from 'vitest';
import {
  environmentSlot,
  isSlotKey,
  jobSlot,
  managedKeyName,
  organizationSlot,
  parseManagedKeyName,
  repositorySlot,
  type Slot,
} from '../../src/slots.ts';

const run = { repository: 'acme/admin', runId: '9876543210', runAttempt: '2', serverUrl: 'https://github.com', job: 'rotate' };
const org = (name: string, secretType: 'actions' | 'dependabot' = 'actions') =>
  organizationSlot(name, 'KUBIYA_API_KEY', { secretType, visibilityOnCreate: 'private', selectedOnCreate: [] });

describe('parseManagedKeyName', () => {
  it.each<[string, Slot]>([
    ['repository secret', repositorySlot('acme', 'web', 'KUBIYA_API_KEY')],
    ['Dependabot secret', repositorySlot('acme', 'web', 'KUBIYA_API_KEY', 'dependabot')],
    ['environment secret', environmentSlot('acme', 'web', 'production', 'KUBIYA_API_KEY')],
    ['environment with a slash and an @', environmentSlot('acme', 'web', 'eu/prod@2', 'KUBIYA_API_KEY')],
    ['organization secret', org('acme')],
    ['organization Dependabot secret', org('acme', 'dependabot')],
    ['mint-mode job key', jobSlot('acme/web', 'deploy', 'KUBIYA_API_KEY')],
    ['dotted repository and secret name with digits', repositorySlot('acme', 'web.site', 'CI_KEY_2')],
  ])('reads back a %s, and the name built from what it read is the same name', (_what, slot) => {
    for (const prefix of ['gha', 'ci.prod-1']) {
      const name = managedKeyName(slot, prefix, run);
      const parsed = parseManagedKeyName(name);
      expect(parsed).toEqual({ prefix, slot, runId: '9876543210', runAttempt: '2' });
      expect(managedKeyName(parsed!.slot, prefix, run)).toBe(name);
      expect(isSlotKey(name, parsed!.slot, prefix)).toBe(true);
    }
  });

  it.each([
    'my laptop key',
    'gha:acme/web:KUBIYA_API_KEY',
    'gha:acme/web:KUBIYA_API_KEY:run-1',
    'gha:acme/web:KUBIYA_API_KEY:run-1-1-1',
    'gha:acme/web:KUBIYA_API_KEY:run-x-1',
    'gha:acme/web:kubiya_api_key:run-1-1',
    'gha:acme/web:GITHUB_TOKEN:run-1-1',
    'gha:Acme/web:KUBIYA_API_KEY:run-1-1',
    'gha:acme:KUBIYA_API_KEY:run-1-1',
    'gha:acme/web/x:KUBIYA_API_KEY:run-1-1',
    'gha:acme/web/job:KUBIYA_API_KEY:run-1-1',
    'gha:acme/web/job/deploy/x:KUBIYA_API_KEY:run-1-1',
    'gha:acme/web/job/dep loy:KUBIYA_API_KEY:run-1-1',
    'gha:acme/web@:KUBIYA_API_KEY:run-1-1',
    'gha:acme/web/dependabot@prod:KUBIYA_API_KEY:run-1-1',
    'gha:org:acme/web:KUBIYA_API_KEY:run-1-1',
    'gha:org::KUBIYA_API_KEY:run-1-1',
    'gha:acme/web:extra:KUBIYA_API_KEY:run-1-1',
    ':acme/web:KUBIYA_API_KEY:run-1-1',
    'g h a:acme/web:KUBIYA_API_KEY:run-1-1',
    'gha:../web:KUBIYA_API_KEY:run-1-1',
  ])('refuses %j: not a managed key name', (name) => {
    expect(parseManagedKeyName(name)).toBeUndefined();
  });
});
