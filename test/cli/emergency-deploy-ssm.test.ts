import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { DEFAULT_EMERGENCY_DEPLOY_DEPS } from '../../lib/cli/commands/emergency-deploy';
import { AppConfigError } from '../../lib/rollout';

// The lane's role may not list AppConfig applications (IAM takes only `*` there), so the
// real command reads the IDs the shared stacks publish in SSM. This is that reader.
const ssm = mockClient(SSMClient);
afterEach(() => ssm.reset());
afterAll(() => ssm.restore());

const read = (name: string): Promise<string> => DEFAULT_EMERGENCY_DEPLOY_DEPS.parameter!({ region: 'eu-west-1' })(name);

test('emergency deploy reads AppConfig IDs from the SSM parameter the shared stack publishes', async () => {
  ssm.on(GetParameterCommand, { Name: '/dynconf/ids/app' }).resolves({ Parameter: { Name: '/dynconf/ids/app', Value: 'abc1234,def5678' } });
  await expect(read('/dynconf/ids/app')).resolves.toBe('abc1234,def5678');
  expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(1);
});

test('a missing parameter is a not-found AppConfigError that says the shared stack is not deployed, not an SDK stack trace', async () => {
  ssm.on(GetParameterCommand).rejects(new ParameterNotFound({ message: 'not found', $metadata: {} }));
  const error = await read('/dynconf/ids/new-app').catch((e: unknown) => e);
  expect(error).toBeInstanceOf(AppConfigError);
  expect(error).toMatchObject({ kind: 'not-found', message: expect.stringContaining('has not deployed this application') });
});

test('other SSM errors (access denied, throttling) reach the retry and error handling unchanged', async () => {
  const denied = Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' });
  ssm.on(GetParameterCommand).rejects(denied);
  await expect(read('/dynconf/ids/app')).rejects.toBe(denied);
});
