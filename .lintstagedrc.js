// A change to one config file can break another (a flag naming an environment that a
// workload edit removed), so config changes validate the whole workspace, not the files.
module.exports = {
  '{config,flags}/**/*.json': () => 'node --import tsx bin/dynconf.ts validate',
  '*.ts': 'eslint --max-warnings 0 --no-warn-ignored',
  '*': 'secretlint --maskSecrets',
};
