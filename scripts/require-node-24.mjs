// Run first by `npm run demo`, `bench`, `canary` and `summary:preview`: their scripts are TypeScript run by Node 24's
// type stripping, which an older Node cannot even load (ERR_UNKNOWN_FILE_EXTENSION). Plain JavaScript, so that any
// Node can run it and say what is needed in one line.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  console.error(
    `This needs Node 24 (the action's runtime); this is Node ${process.versions.node}. ` +
      'Install Node 24 (nvm, fnm, Homebrew, …), or on Linux x64 run `npm ci`, which installs it for the npm scripts.',
  );
  process.exit(1);
}
