// A change to one config file can break another (a flag naming an environment that a
// workload edit removed), so config changes validate the whole workspace, not the files.
// bin/dynconf.js is the compiled CLI (it rebuilds itself first if lib/ changed).
module.exports = {
  '{config,flags}/**/*.json': () => 'node bin/dynconf.js validate',
  '*.ts': 'eslint --max-warnings 0 --no-warn-ignored',
  // secretlint's engine and this repository's .secretlintrc/.secretlintignore, in one short
  // process: the secretlint CLI takes over a second to start (lib/cli/commands/secrets.ts).
  '*': 'node bin/dynconf.js secrets',
};
