#!/usr/bin/env bash
# Tags a release and drafts its GitHub Release: scripts/release.sh X.Y.Z [--push] [--dry-run]
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
# The release notes (the same changelog section) are written to .git/release-notes-vX.Y.Z.md.
# Without --push it prints the commands that publish: push both tags, then
#   gh release create vX.Y.Z --draft --verify-tag --title vX.Y.Z --notes-file .git/release-notes-vX.Y.Z.md
# With --push it runs them; it first refuses unless the GitHub CLI is installed and logged in, so it never
# pushes tags it cannot draft a release for. The draft is published by hand, after a look, on GitHub.
# With --dry-run it makes every check, prints what it would do and the notes, and changes nothing.
#
# RELEASE_GH names the GitHub CLI to run (default: gh); the tests point it at a stand-in.
#
# RELEASE_SKIP_CHECKS=1 skips the two npm checks (and nothing else). It exists for test/meta/release.test.ts,
# which exercises the refusals in a scratch repository without running this project's test suite from
# inside itself; never set it for a real release.
set -euo pipefail

usage() {
  echo "usage: scripts/release.sh X.Y.Z [--push] [--dry-run]" >&2
  exit 2
}
refuse() {
  echo "release: $*" >&2
  exit 1
}

version=""
push=false
dry_run=false
gh=${RELEASE_GH:-gh}
for arg in "$@"; do
  case "$arg" in
    --push) push=true ;;
    --dry-run) dry_run=true ;;
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

[ -n "$(printf '%s' "$notes" | tr -d '[:space:]')" ] || refuse "CHANGELOG.md's '$heading' section is empty: say what the release changes"
if [ "$push" = true ]; then
  command -v "$gh" >/dev/null 2>&1 ||
    refuse "--push drafts the GitHub Release with the GitHub CLI, and '$gh' is not installed: install gh, or release without --push and publish by hand"
  "$gh" auth status >/dev/null 2>&1 ||
    refuse "--push drafts the GitHub Release with the GitHub CLI, and it is not logged in: run 'gh auth login' first"
fi

if [ "${RELEASE_SKIP_CHECKS:-}" = 1 ]; then
  echo "release: RELEASE_SKIP_CHECKS=1, not running npm test and npm run check-dist" >&2
else
  npm test || refuse "the tests fail"
  npm run check-dist || refuse "dist/ is not what the sources build: run 'npm run build' and commit dist/"
  [ -z "$(git status --porcelain --untracked-files=all)" ] || refuse "the checks left the work tree changed"
fi

notes_file="$(git rev-parse --absolute-git-dir)/release-notes-$tag.md"
release_command=("$gh" release create "$tag" --draft --verify-tag --title "$tag" --notes-file "$notes_file")
push_commands="git push origin refs/tags/$tag && git push --force origin refs/tags/$major"

if [ "$dry_run" = true ]; then
  echo "Dry run: every check passed; nothing was changed. A release would"
  echo "  tag $tag at $(git rev-parse --short HEAD) and move $major to it,"
  if [ "$push" = true ]; then
    echo "  push them: $push_commands"
    echo "  draft the GitHub Release: ${release_command[*]}"
  else
    echo "  print the commands that push the tags and draft the GitHub Release."
  fi
  echo "Release notes:"
  printf '%s\n' "$notes"
  exit 0
fi

git tag --annotate --cleanup=whitespace "$tag" --file=- <<EOF
$tag
$notes
EOF
git tag --force --annotate "$major" --message "$major: $tag" "$tag^{commit}"
printf '%s\n' "$notes" >"$notes_file"
echo "Tagged $tag and moved $major to it ($(git rev-parse --short "$tag^{commit}")); release notes in $notes_file."

if [ "$push" = true ]; then
  git push origin "refs/tags/$tag"
  git push --force origin "refs/tags/$major"
  "${release_command[@]}" ||
    refuse "the tags are pushed, but drafting the GitHub Release failed; retry with: ${release_command[*]}"
  echo "Drafted the GitHub Release $tag: review and publish it on GitHub."
else
  echo "Publish with:"
  echo "  $push_commands"
  echo "  ${release_command[*]}"
fi
