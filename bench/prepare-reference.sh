#!/usr/bin/env bash
# Build the AWS reference sample that bench/synth.ts compares `cdk synth` with, OUTSIDE this
# repository (none of its code is committed here):
#   aws-samples/aws-deployment-pipeline-reference-architecture, examples/cdk-application-pipeline
#
#   bench/prepare-reference.sh [<checkout of that repository>] [<target dir>]
#
# Without a checkout it clones the repository (needs GitHub). Target: /tmp/ref-dpra (what
# bench/synth.ts reads; DYNCONF_BENCH_REFERENCE overrides it).
#
# What differs from the sample's own `npm ci`, and why:
# - Its lockfile pins versions the npm registry reachable here no longer serves
#   (@cdklabs/cdk-ecs-codedeploy 0.0.380, cdk-nag 2.35.50, @aws-sdk/client-codedeploy
#   3.758.0, @aws-sdk/client-codeconnections). So the packages its synth loads are installed
#   at the lockfile's versions (aws-cdk-lib 2.192.0, constructs 10.4.2, aws-cdk 2.1005.0,
#   ts-node 10.9.2, typescript 5.8.2, esbuild 0.25.1, yaml 2.7.0), @cdklabs/cdk-ecs-codedeploy
#   at 0.0.267 (the newest this registry has), and what synth never loads is left out: the
#   AWS SDK clients and prompts (used only by its setup/bootstrap/cleanup scripts, and
#   bundled as externals by its Lambda), eslint, jest, projen, license-checker.
# - Its synth needs no Java or Maven (the Maven build runs in CodeBuild) and no Docker (the
#   container image asset is only staged at synth, built at publish time); its Lambda is
#   bundled by the local esbuild.
# - It reads its accounts from .accounts.json, which its setup script writes from your AWS
#   profiles: placeholder account ids are written instead. Its VPCs look up availability
#   zones, which needs credentials: cdk.context.json is written with three zones per
#   region, as a lookup would have cached them. Everything else is its committed cdk.json.
set -euo pipefail
src=${1:-}
target=${2:-/tmp/ref-dpra}
sample=examples/cdk-application-pipeline
mkdir -p "$target"
if [ -z "$src" ]; then
  src="$target/checkout"
  [ -d "$src/.git" ] || git clone --depth 1 https://github.com/aws-samples/aws-deployment-pipeline-reference-architecture "$src"
fi
if [ -d "$src/.git" ] || git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
  git -C "$src" archive HEAD "$sample" | tar -x -C "$target"
else
  mkdir -p "$target/$sample" && cp -R "$src/$sample/." "$target/$sample/"
fi
cd "$target/$sample"
[ -f package-lock.orig.json ] || cp package-lock.json package-lock.orig.json
node -e '
const fs = require("fs");
const lock = JSON.parse(fs.readFileSync("package-lock.orig.json", "utf8"));
const v = (n) => lock.packages["node_modules/" + n].version;
const p = JSON.parse(fs.readFileSync("package.json", "utf8"));
p.dependencies = { "aws-cdk-lib": v("aws-cdk-lib"), constructs: v("constructs"), yaml: v("yaml"), "@types/aws-lambda": v("@types/aws-lambda"), "@cdklabs/cdk-ecs-codedeploy": "0.0.267" };
p.devDependencies = Object.fromEntries(["aws-cdk", "esbuild", "ts-node", "typescript", "@types/node"].map((n) => [n, v(n)]));
fs.writeFileSync("package.json", JSON.stringify(p, null, 2));
'
rm -f package-lock.json
npm install --no-audit --no-fund --ignore-scripts
cat > .accounts.json <<'EOF'
{
  "toolchain": { "accountId": "111111111111", "profile": "toolchain" },
  "beta": { "accountId": "222222222222", "profile": "beta" },
  "gamma": { "accountId": "333333333333", "profile": "gamma" },
  "production": { "accountId": "444444444444", "profile": "production" }
}
EOF
node -e '
const fs = require("fs");
const ctx = {};
// Gamma uses the toolchain account (its accounts.ts returns toolchain for gamma).
const stacks = { "222222222222": ["us-west-2"], "111111111111": ["us-west-2", "us-east-1"], "444444444444": ["us-west-2", "us-east-1", "eu-central-1", "eu-west-1", "ap-south-1", "ap-southeast-2"] };
for (const [account, regions] of Object.entries(stacks)) for (const r of regions) ctx[`availability-zones:account=${account}:region=${r}`] = ["a", "b", "c"].map((z) => r + z);
fs.writeFileSync("cdk.context.json", JSON.stringify(ctx, null, 2));
'
CDK_DISABLE_CLI_TELEMETRY=true CDK_DEFAULT_REGION=us-east-1 node node_modules/aws-cdk/bin/cdk synth --quiet --no-notices -o "$target/cdk.out" >/dev/null
echo "reference sample ready in $target/$sample ($(find "$target/cdk.out" -name '*.template.json' | wc -l) templates)"
