// A change to one config file can break another (a flag naming an environment that a
// workload edit removed), so config changes validate the whole workspace, not the files.
// bin/dynconf.js is the compiled CLI (it rebuilds itself first if lib/ changed).
module.exports = {
  '{config,flags}/**/*.json': () => 'node bin/dynconf.js validate',
  '*.ts': 'eslint --max-warnings 0 --no-warn-ignored',
  '*': 'secretlint --maskSecrets',
};
