/**
 * Jest setupFiles: the AWS SDK's Node-support banner off in test processes (and the CLIs they
 * spawn with process.env). It is printed once per test file that creates a client, eight
 * times in a full run, and says nothing about the code under test. The CLI's own handling of
 * the banner is tested in test/cli/aws-node-notice.test.ts, with an environment of its own.
 */
import { SDK_NODE_WARNING_SWITCH } from '../../lib/cli/aws-node-notice';

process.env[SDK_NODE_WARNING_SWITCH] ??= 'true';
