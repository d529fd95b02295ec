/**
 * CFN Guard in a worker thread, started when aws-cdk-lib begins validating templates, and
 * waited for by the Guard plugin when its turn comes.
 *
 * aws-cdk-lib runs its validation plugins one after the other on the main thread, after
 * every template is written: its own CloudFormation validation (a WebAssembly engine whose
 * start-up grows with the resource types present), then cdk-nag, then Guard (a binary run
 * once per group of templates). On the sample they were two thirds of synth, on one core
 * while the other stood idle. Guard reads only template files, not the construct tree, so
 * it can run beside the other two. It still runs on exactly the templates, in the order,
 * it was given before, and its report is returned by the same plugin in the same place.
 *
 * The plugin interface is synchronous (`validate()` returns the report), so the main
 * thread blocks on a shared flag the worker raises once its answer has been posted, and
 * reads that answer with receiveMessageOnPort.
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';

/** A Guard run: these rule files over these templates. */
export interface GuardGroup {
  readonly rules: readonly string[];
  readonly templates: readonly string[];
}

/** Guard (cdk-validator-cfnguard, at this resolved path) over each group. */
export interface GuardJob {
  readonly kind: 'cfn-guard';
  readonly module: string;
  readonly groups: readonly GuardGroup[];
}

/** What a job posts back: one plugin report per group, or the error it threw. */
export interface JobAnswer {
  readonly reports?: unknown[];
  readonly error?: string;
}

/**
 * Plain JavaScript, so that the worker needs no TypeScript loader (bin/app.ts runs under
 * tsx, the tests under @swc/jest): it requires the validators by the absolute paths the
 * main thread resolved.
 */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { job, port, flag } = workerData;
let answer;
try {
  if (job.kind === 'cfn-guard') {
    const { CfnGuardValidator } = require(job.module);
    answer = { reports: job.groups.map((g) => new CfnGuardValidator({ controlTowerRulesEnabled: false, rules: g.rules }).validate({ templatePaths: g.templates })) };
  } else {
    answer = { error: 'unknown job kind ' + job.kind };
  }
} catch (e) {
  answer = { error: e && e.stack ? e.stack : String(e) };
}
port.postMessage(answer);
port.close();
Atomics.store(flag, 0, 1);
Atomics.notify(flag, 0);
`;

/** A job running in its own worker thread; wait() blocks until it has answered. */
export class BackgroundJob {
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  private readonly port: MessagePort;
  private readonly worker: Worker;
  private answer?: JobAnswer;

  constructor(
    readonly description: string,
    job: GuardJob,
  ) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    // execArgv: [] keeps bin/app.ts's `--import tsx` out of the worker (it loads only JavaScript).
    this.worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [], workerData: { job, port: port2, flag: this.flag }, transferList: [port2] });
    // The answer arrives through the port; the worker must not keep the process alive.
    this.worker.unref();
  }

  /** The job's answer; throws the job's own error, naming the job, if it failed. */
  wait(timeoutMs = 30 * 60 * 1000): JobAnswer {
    if (!this.answer) {
      if (Atomics.wait(this.flag, 0, 0, timeoutMs) === 'timed-out') {
        throw new Error(`${this.description}: no answer from its worker thread after ${timeoutMs / 1000} s`);
      }
      const message = receiveMessageOnPort(this.port);
      if (!message) throw new Error(`${this.description}: its worker thread signalled an answer but posted none`);
      this.answer = message.message as JobAnswer;
      this.port.close();
      void this.worker.terminate();
    }
    if (this.answer.error !== undefined) throw new Error(`${this.description} failed in its worker thread: ${this.answer.error}`);
    return this.answer;
  }
}

/**
 * The templates a job was started on must be the ones, in the order, aws-cdk-lib hands the
 * plugin (the order of the findings follows it): anything else is a bug in the caller.
 */
export function assertSameTemplates(description: string, started: readonly string[], given: readonly string[]): void {
  if (started.length !== given.length || started.some((t, i) => t !== given[i])) {
    throw new Error(
      `${description}: started early on other templates than aws-cdk-lib validates (started on: ${started.join(', ')}; given: ${given.join(', ')}). ` +
        'This is a bug in lib/pipeline/guard.ts: appTemplatePaths() must list what aws-cdk-lib gives a plugin registered on the app, in its order.',
    );
  }
}
