import { describe, expect, it } from 'vitest';
import { environmentSlot, isSlotKey, jobSlot, keyDescription, managedKeyName, organizationSlot, repositorySlot } from '../../src/slots.ts';

const run = { repository: 'acme/admin', runId: '9876543210', runAttempt: '1', serverUrl: 'https://github.com', job: 'rotate' };

describe('managed key names', () => {
  it('follow <prefix>:<scope>:<SECRET_NAME>:run-<run_id>-<run_attempt> with a lower-cased scope', () => {
    expect(managedKeyName(repositorySlot('Acme', 'Web', 'KUBIYA_API_KEY'), 'gha', run)).toBe(
      'gha:acme/web:KUBIYA_API_KEY:run-9876543210-1',
    );
  });

  it('recognise only the slot’s own keys', () => {
    const slot = repositorySlot('acme', 'web', 'KUBIYA_API_KEY');
    expect(isSlotKey('gha:acme/web:KUBIYA_API_KEY:run-1-1', slot, 'gha')).toBe(true);
    for (const other of [
      'gha:acme/web-api:KUBIYA_API_KEY:run-1-1',
      'gha:acme/web:OTHER_SECRET:run-1-1',
      'gha:acme/web@prod:KUBIYA_API_KEY:run-1-1',
      'gha:acme/web/dependabot:KUBIYA_API_KEY:run-1-1',
      'ci:acme/web:KUBIYA_API_KEY:run-1-1',
      'gha:acme/web:KUBIYA_API_KEY',
      'my laptop key',
    ]) {
      expect(isSlotKey(other, slot, 'gha'), other).toBe(false);
    }
  });

  it('describe what minted the key and link the run', () => {
    expect(keyDescription(repositorySlot('acme', 'web', 'KUBIYA_API_KEY'), run, 'c0ffee00')).toContain(
      'https://github.com/acme/admin/actions/runs/9876543210',
    );
  });
});

describe('key names for every target kind', () => {
  it('follow the scope table of the spec', () => {
    const name = (slot: Parameters<typeof managedKeyName>[0]) => managedKeyName(slot, 'gha', run);
    expect(name(environmentSlot('acme', 'web', 'production', 'KUBIYA_API_KEY'))).toBe(
      'gha:acme/web@production:KUBIYA_API_KEY:run-9876543210-1',
    );
    expect(name(repositorySlot('acme', 'web', 'KUBIYA_API_KEY', 'dependabot'))).toBe(
      'gha:acme/web/dependabot:KUBIYA_API_KEY:run-9876543210-1',
    );
    const org = organizationSlot('Acme', 'KUBIYA_API_KEY', { secretType: 'actions', visibilityOnCreate: 'private', selectedOnCreate: [] });
    expect(name(org)).toBe('gha:org:acme:KUBIYA_API_KEY:run-9876543210-1');
    expect(name(jobSlot('acme/web', 'deploy', 'KUBIYA_API_KEY'))).toBe('gha:acme/web/job/deploy:KUBIYA_API_KEY:run-9876543210-1');
  });

  it('keep the slots of one repository apart', () => {
    const env = environmentSlot('acme', 'web', 'prod', 'KUBIYA_API_KEY');
    expect(isSlotKey('gha:acme/web:KUBIYA_API_KEY:run-1-1', env, 'gha')).toBe(false);
    expect(isSlotKey('gha:acme/web@prod:KUBIYA_API_KEY:run-1-1', env, 'gha')).toBe(true);
    expect(isSlotKey('gha:acme/web@prod2:KUBIYA_API_KEY:run-1-1', env, 'gha')).toBe(false);
  });
});
