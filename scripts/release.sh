#!/usr/bin/env bash
# Tags a release: scripts/release.sh X.Y.Z [--push]
#
# Refuses unless
#   - X.Y.Z is a version number (three numbers, no leading v),
#   - the current branch is main, the work tree is clean (untracked files count), and main is where
#     origin/main is (when there is an origin),
#   - the tag vX.Y.Z does not exist yet,
#   - CHANGELOG.md has a "## [X.Y.Z]" section and package.json's version is X.Y.Z,
#   - the tests pass (npm test) and dist/ is what the sources build (npm run check-dist).
# Then it creates the annotated tag vX.Y.Z (its message is the changelog section) and moves the major tag vX
# to it (force): users of `kubiya/api-key-action@vX` and of `.github/workflows/rotate.yml@vX` get the release.
# It prints the push commands; with --push it runs them.
#
# RELEASE_SKIP_CHECKS=1 skips the two npm checks (and nothing else). It exists for test/meta/release.test.ts,
# which exercises the refusals in a scratch repository without running this project's test suite from
# inside itself; never set it for a real release.
set -euo pipefail

usage() {
  echo "usage: scripts/release.sh X.Y.Z [--push]" >&2
  exit 2
}
refuse() {
  echo "release: $*" >&2
  exit 1
}

version=""
push=false
for arg in "$@"; do
  case "$arg" in
    --push) push=true ;;
    -h | --help) usage ;;
    -*) usage ;;
    *) [ -z "$version" ] || usage; version="$arg" ;;
  esac
done
[ -n "$version" ] || usage
[[ "$version" =~ ^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$ ]] ||
  refuse "'$version' is not a version: give three numbers, like 1.2.3 (no leading v)"
major="v${BASH_REMATCH[1]}"
tag="v$version"

root=$(git rev-parse --show-toplevel 2>/dev/null) || refuse "not inside a git repository"
cd "$root"

branch=$(git symbolic-ref --quiet --short HEAD || true)
[ "$branch" = main ] || refuse "releases are tagged on main; this is '${branch:-a detached HEAD}'"
[ -z "$(git status --porcelain --untracked-files=all)" ] ||
  refuse "the work tree is not clean: commit or remove these first"$'\n'"$(git status --short --untracked-files=all)"
if git remote get-url origin >/dev/null 2>&1; then
  upstream=$(git rev-parse --verify --quiet refs/remotes/origin/main || true)
  [ -n "$upstream" ] || refuse "origin/main is unknown: run 'git fetch origin' first"
  [ "$(git rev-parse HEAD)" = "$upstream" ] ||
    refuse "main is not at origin/main: push or pull first, so the tag points at a published commit"
fi
! git rev-parse --verify --quiet "refs/tags/$tag" >/dev/null || refuse "the tag $tag already exists"

[ -f CHANGELOG.md ] || refuse "CHANGELOG.md is missing"
heading="## [$version]"
awk -v heading="$heading" 'index($0, heading) == 1 { found = 1 } END { exit !found }' CHANGELOG.md ||
  refuse "CHANGELOG.md has no '$heading' section: move the Unreleased entries under one, with today's date"
notes=$(awk -v heading="$heading" '
  index($0, heading) == 1 { found = 1; next }
  found && /^## / { exit }
  found { print }
' CHANGELOG.md)
package_version=$(sed -nE 's/^  "version": "([^"]+)".*/\1/p' package.json | head -n 1)
[ "$package_version" = "$version" ] ||
  refuse "package.json's version is '$package_version', not '$version': update it (npm version --no-git-tag-version $version)"

if [ "${RELEASE_SKIP_CHECKS:-}" = 1 ]; then
  echo "release: RELEASE_SKIP_CHECKS=1, not running npm test and npm run check-dist" >&2
else
  npm test || refuse "the tests fail"
  npm run check-dist || refuse "dist/ is not what the sources build: run 'npm run build' and commit dist/"
  [ -z "$(git status --porcelain --untracked-files=all)" ] || refuse "the checks left the work tree changed"
fi

git tag --annotate --cleanup=whitespace "$tag" --file=- <<EOF
$tag
$notes
EOF
git tag --force --annotate "$major" --message "$major: $tag" "$tag^{commit}"
echo "Tagged $tag and moved $major to it ($(git rev-parse --short "$tag^{commit}"))."

if [ "$push" = true ]; then
  git push origin "refs/tags/$tag"
  git push --force origin "refs/tags/$major"
else
  echo "Publish with:"
  echo "  git push origin refs/tags/$tag && git push --force origin refs/tags/$major"
fi
