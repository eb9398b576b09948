// scripts/release.sh in a scratch repository (with a bare "origin"): each refusal, then the tags it makes and
// the GitHub Release it drafts. The scratch package.json defines its own `test` and `check-dist` scripts, so the
// real checks run without this suite running itself; RELEASE_SKIP_CHECKS=1 covers the rest. RELEASE_GH points
// at a stand-in for the GitHub CLI that logs its arguments and keeps the notes file it is given.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { repoRoot } from './project-files.ts';

const CHANGELOG = `# Changelog

## [Unreleased]

## [1.2.3] - 2026-11-27

### Added

- Everything.

## [1.2.2] - 2026-11-01

### Fixed

- Something.
`;

const gitEnv = {
  ...process.env,
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'Release Test',
  GIT_AUTHOR_EMAIL: 'release-test@example.invalid',
  GIT_COMMITTER_NAME: 'Release Test',
  GIT_COMMITTER_EMAIL: 'release-test@example.invalid',
};

let scratch: string;
let work: string;
let origin: string;

function git(...args: string[]): string {
  return execFileSync('git', args, { cwd: work, env: gitEnv, encoding: 'utf8' }).trim();
}

let fakeGh: string;
const ghLog = () => path.join(scratch, 'gh.log');

const FAKE_GH = `#!/usr/bin/env bash
echo "$*" >>"$GH_LOG"
case "$1" in
  auth) exit "\${GH_AUTH_STATUS:-0}" ;;
  release)
    for ((i = 1; i < $#; i++)); do
      next=$((i + 1))
      [ "\${!i}" = --notes-file ] && cp "\${!next}" "$GH_LOG.notes"
    done
    exit "\${GH_RELEASE_STATUS:-0}" ;;
esac
exit 2
`;

function release(args: string[], env: Record<string, string> = { RELEASE_SKIP_CHECKS: '1' }) {
  const result = spawnSync('bash', ['scripts/release.sh', ...args], {
    cwd: work,
    env: { ...gitEnv, RELEASE_GH: fakeGh, GH_LOG: ghLog(), ...env },
    encoding: 'utf8',
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function packageJson(version: string, scripts: Record<string, string> = { test: 'true', 'check-dist': 'true' }): string {
  return `${JSON.stringify({ name: 'scratch', version, private: true, scripts }, null, 2)}\n`;
}

function commit(file: string, text: string, message: string): void {
  writeFileSync(path.join(work, file), text);
  git('add', file);
  git('commit', '--quiet', '-m', message);
  git('push', '--quiet', 'origin', 'main');
}

// One scratch repository is built once; each test gets a copy of it (and of its origin).
let template: string;

beforeAll(() => {
  template = mkdtempSync(path.join(tmpdir(), 'release-template-'));
  fakeGh = path.join(template, 'bin', 'gh');
  mkdirSync(path.dirname(fakeGh));
  writeFileSync(fakeGh, FAKE_GH);
  chmodSync(fakeGh, 0o755);
  scratch = template;
  origin = path.join(template, 'origin.git');
  work = path.join(template, 'work');
  execFileSync('git', ['init', '--quiet', '--bare', '--initial-branch=main', origin], { env: gitEnv });
  execFileSync('git', ['clone', '--quiet', origin, work], { env: gitEnv, stdio: 'ignore' });
  git('checkout', '--quiet', '-B', 'main');
  mkdirSync(path.join(work, 'scripts'));
  copyFileSync(path.join(repoRoot, 'scripts/release.sh'), path.join(work, 'scripts/release.sh'));
  writeFileSync(path.join(work, 'CHANGELOG.md'), CHANGELOG);
  writeFileSync(path.join(work, 'package.json'), packageJson('1.2.3'));
  git('add', '.');
  git('commit', '--quiet', '-m', 'initial');
  git('push', '--quiet', '--set-upstream', 'origin', 'main');
});

beforeEach(() => {
  scratch = mkdtempSync(path.join(tmpdir(), 'release-test-'));
  cpSync(template, scratch, { recursive: true });
  origin = path.join(scratch, 'origin.git');
  work = path.join(scratch, 'work');
  git('remote', 'set-url', 'origin', origin);
});

afterEach(() => {
  rmSync(scratch, { recursive: true, force: true });
});

afterAll(() => {
  rmSync(template, { recursive: true, force: true });
});

describe('scripts/release.sh refuses', () => {
  it('a version that is not X.Y.Z', () => {
    for (const bad of ['v1.2.3', '1.2', '1.2.3-rc.1', '01.2.3']) {
      const result = release([bad]);
      expect(result.status, bad).toBe(1);
      expect(result.stderr).toContain('is not a version');
    }
    expect(release([]).status).toBe(2);
  });

  it('off main', () => {
    git('checkout', '--quiet', '-b', 'feature');
    const result = release(['1.2.3']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("releases are tagged on main; this is 'feature'");
  });

  it('a dirty work tree: a changed file, or an untracked one', () => {
    writeFileSync(path.join(work, 'package.json'), packageJson('1.2.3', { test: 'false' }));
    expect(release(['1.2.3']).stderr).toContain('the work tree is not clean');
    git('checkout', '--', 'package.json');
    writeFileSync(path.join(work, 'notes.txt'), 'draft\n');
    const result = release(['1.2.3']);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/the work tree is not clean[^]*notes\.txt/);
  });

  it('a main that is not at origin/main', () => {
    writeFileSync(path.join(work, 'extra.txt'), 'x\n');
    git('add', 'extra.txt');
    git('commit', '--quiet', '-m', 'unpushed');
    const result = release(['1.2.3']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('main is not at origin/main');
  });

  it('a version without a CHANGELOG section', () => {
    commit('package.json', packageJson('1.3.0'), 'bump');
    const result = release(['1.3.0']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("CHANGELOG.md has no '## [1.3.0]' section");
  });

  it("a version that is not package.json's", () => {
    const result = release(['1.2.2']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("package.json's version is '1.2.3', not '1.2.2'");
  });

  it('a tag that exists', () => {
    git('tag', 'v1.2.3');
    const result = release(['1.2.3']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('the tag v1.2.3 already exists');
  });

  it('an empty CHANGELOG section', () => {
    commit('CHANGELOG.md', CHANGELOG.replace('### Added\n\n- Everything.\n', ''), 'empty section');
    const result = release(['1.2.3']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("CHANGELOG.md's '## [1.2.3]' section is empty");
  });

  it('--push without a GitHub CLI, or with one that is not logged in, before tagging anything', () => {
    let result = release(['1.2.3', '--push'], { RELEASE_SKIP_CHECKS: '1', RELEASE_GH: path.join(scratch, 'no-such-gh') });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("'" + path.join(scratch, 'no-such-gh') + "' is not installed");

    result = release(['1.2.3', '--push'], { RELEASE_SKIP_CHECKS: '1', GH_AUTH_STATUS: '1' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("it is not logged in: run 'gh auth login' first");
    expect(git('tag', '--list')).toBe('');
    expect(git('ls-remote', '--tags', 'origin')).toBe('');
  });

  it('failing tests, and a stale dist/, when the checks run', () => {
    commit('package.json', packageJson('1.2.3', { test: 'exit 3', 'check-dist': 'true' }), 'tests fail');
    let result = release(['1.2.3'], {});
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('the tests fail');

    commit('package.json', packageJson('1.2.3', { test: 'true', 'check-dist': 'exit 1' }), 'dist stale');
    result = release(['1.2.3'], {});
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('dist/ is not what the sources build');
    expect(git('tag', '--list')).toBe('');
  });
});

describe('scripts/release.sh --dry-run', () => {
  it('checks everything, prints the plan and the notes, and changes nothing', () => {
    const result = release(['1.2.3', '--push', '--dry-run'], {});
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Dry run: every check passed; nothing was changed.');
    expect(result.stdout).toContain(`draft the GitHub Release: ${fakeGh} release create v1.2.3 --draft --verify-tag --title v1.2.3`);
    expect(result.stdout).toMatch(/Release notes:\n+### Added\n\n- Everything\.\n*$/);
    expect(git('tag', '--list')).toBe('');
    expect(git('ls-remote', '--tags', 'origin')).toBe('');
    expect(readFileSync(ghLog(), 'utf8')).toBe('auth status\n'); // the login check, and no release
    expect(git('status', '--porcelain', '--untracked-files=all')).toBe('');
  });

  it('still refuses what a release would refuse', () => {
    const result = release(['1.2.2', '--dry-run']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("package.json's version is '1.2.3', not '1.2.2'");
  });
});

describe('scripts/release.sh tags', () => {
  it('vX.Y.Z with its changelog section, moves vX, and prints the push commands without pushing', () => {
    const result = release(['1.2.3'], {});
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('git push origin refs/tags/v1.2.3 && git push --force origin refs/tags/v1');
    expect(git('cat-file', '-t', 'v1.2.3')).toBe('tag');
    expect(git('tag', '-l', '--format=%(contents)', 'v1.2.3')).toMatch(/^v1\.2\.3\n+### Added\n\n- Everything\.\n*$/);
    expect(git('rev-parse', 'v1^{commit}')).toBe(git('rev-parse', 'HEAD'));
    expect(git('ls-remote', '--tags', 'origin')).toBe('');
    const notesFile = path.join(work, '.git', 'release-notes-v1.2.3.md');
    expect(result.stdout).toContain(`${fakeGh} release create v1.2.3 --draft --verify-tag --title v1.2.3 --notes-file ${notesFile}`);
    expect(readFileSync(notesFile, 'utf8')).toMatch(/^\n*### Added\n\n- Everything\.\n*$/);
    expect(existsSync(ghLog()), 'the GitHub CLI is not run without --push').toBe(false);

    // The next release of the same major moves v1 forward.
    writeFileSync(
      path.join(work, 'CHANGELOG.md'),
      CHANGELOG.replace('## [Unreleased]\n', '## [Unreleased]\n\n## [1.2.4] - 2026-11-28\n\n- More.\n'),
    );
    writeFileSync(path.join(work, 'package.json'), packageJson('1.2.4'));
    git('commit', '--quiet', '-am', '1.2.4');
    git('push', '--quiet', 'origin', 'main');
    expect(release(['1.2.4', '--push']).status).toBe(0);
    expect(git('rev-parse', 'v1^{commit}')).toBe(git('rev-parse', 'HEAD'));
    const remote = git('ls-remote', '--tags', 'origin');
    expect(remote).toContain('refs/tags/v1.2.4');
    expect(remote).toContain('refs/tags/v1\n');
    // …and drafts the GitHub Release of v1.2.4 with its changelog section.
    const notes = path.join(work, '.git', 'release-notes-v1.2.4.md');
    expect(readFileSync(ghLog(), 'utf8')).toBe(
      `auth status\nrelease create v1.2.4 --draft --verify-tag --title v1.2.4 --notes-file ${notes}\n`,
    );
    expect(readFileSync(`${ghLog()}.notes`, 'utf8').trim()).toBe('- More.');
  });

  it('says how to retry when the tags are pushed but the draft release fails', () => {
    const result = release(['1.2.3', '--push'], { RELEASE_SKIP_CHECKS: '1', GH_RELEASE_STATUS: '1' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('the tags are pushed, but drafting the GitHub Release failed; retry with:');
    expect(git('ls-remote', '--tags', 'origin')).toContain('refs/tags/v1.2.3');
  });
});
