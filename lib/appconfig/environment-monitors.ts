/**
 * The CloudWatch alarms that roll a bad deployment back, and the role AppConfig assumes to
 * read them. Existing alarms are imported by ARN; alarms described in workload.json are
 * created (or, in the later parts of a split environment, imported by their fixed name).
 */
import * as cdk from 'aws-cdk-lib';
import * as appconfig from 'aws-cdk-lib/aws-appconfig';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { MetricAlarmConfig, MonitorConfig } from '../model';
import { acknowledge, FINDINGS } from './compliance';

export interface EnvironmentMonitorsProps {
  /** The environment's name, for descriptions. */
  readonly environmentName: string;
  readonly monitors: readonly MonitorConfig[];
  /**
   * Create the metric alarms. False in the later parts of a split environment: part 1
   * created them, and two stacks cannot own one alarm name.
   * @default true
   */
  readonly createAlarms?: boolean;
  /**
   * ARNs of alarms created elsewhere that AppConfig also watches, after those of
   * workload.json: e.g. the alarm of the synthetic canary the pipeline stage creates. ARNs
   * built from fixed names rather than references to the other stack, whose weak output
   * would go stale here if that alarm were ever replaced.
   * @default - none
   */
  readonly additionalAlarmArns?: readonly string[];
}

/** AppConfig's quota of monitors per environment. */
export const MAX_MONITORS = 5;

export class EnvironmentMonitors extends Construct {
  /** Every alarm AppConfig watches: workload.json's in order, then the additional ones. */
  readonly alarms: readonly cloudwatch.IAlarm[];
  /** The alarms this construct created (none when createAlarms is false). */
  readonly createdAlarms: readonly cloudwatch.Alarm[];
  /** Assumed by AppConfig to read the alarms' state; undefined without monitors. */
  readonly role?: iam.Role;
  readonly monitors: readonly appconfig.Monitor[];

  constructor(scope: Construct, id: string, props: EnvironmentMonitorsProps) {
    super(scope, id);
    const createAlarms = props.createAlarms ?? true;
    const created: cloudwatch.Alarm[] = [];
    const configured = props.monitors.map((m): cloudwatch.IAlarm => {
      if ('alarmArn' in m) return cloudwatch.Alarm.fromAlarmArn(this, `Existing-${m.alarmArn.split(':').pop()}`, m.alarmArn);
      if (!createAlarms) return cloudwatch.Alarm.fromAlarmName(this, m.metricAlarm.name, m.metricAlarm.name);
      const alarm = metricAlarm(this, m.metricAlarm);
      acknowledge(
        alarm,
        FINDINGS.alarmWithoutAction,
        `AppConfig watches this alarm during every deployment to ${props.environmentName} and rolls the deployment back when it fires: ` +
          'that rollback is the action it exists for. workload.json has no notification target to add as an AlarmAction.',
      );
      created.push(alarm);
      return alarm;
    });
    this.createdAlarms = created;
    const additional = (props.additionalAlarmArns ?? []).map((arn) => cloudwatch.Alarm.fromAlarmArn(this, `Additional-${arn.split(':').pop()}`, arn));
    if (configured.length + additional.length > MAX_MONITORS) {
      throw new Error(
        `environment ${props.environmentName}: ${configured.length} monitors in workload.json plus ${additional.length} added (the canary's alarm) make ` +
          `${configured.length + additional.length}, and AppConfig allows ${MAX_MONITORS} per environment; remove one from environments.${props.environmentName}.monitors`,
      );
    }
    this.alarms = [...configured, ...additional];
    if (this.alarms.length === 0) {
      this.monitors = [];
      return;
    }
    const stack = cdk.Stack.of(this);
    this.role = new iam.Role(this, 'Role', {
      description: `Lets AppConfig read the alarms that roll back deployments to ${props.environmentName}`,
      // Only AppConfig acting for this account may assume it (confused-deputy guard).
      assumedBy: new iam.ServicePrincipal('appconfig.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': stack.account } } }),
      inlinePolicies: {
        DescribeMonitoredAlarms: new iam.PolicyDocument({
          statements: [new iam.PolicyStatement({ actions: ['cloudwatch:DescribeAlarms'], resources: this.alarms.map((a) => a.alarmArn) })],
        }),
      },
    });
    this.monitors = this.alarms.map((a) => appconfig.Monitor.fromCloudWatchAlarm(a, this.role));
  }
}

function metricAlarm(scope: Construct, c: MetricAlarmConfig): cloudwatch.Alarm {
  return new cloudwatch.Alarm(scope, c.name, {
    alarmName: c.name,
    alarmDescription: c.description,
    metric: new cloudwatch.Metric({
      namespace: c.namespace,
      metricName: c.metricName,
      dimensionsMap: c.dimensions ? { ...c.dimensions } : undefined,
      statistic: c.statistic,
      period: cdk.Duration.seconds(c.periodSeconds),
    }),
    threshold: c.threshold,
    evaluationPeriods: c.evaluationPeriods,
    comparisonOperator: COMPARISON[c.comparisonOperator],
    treatMissingData: c.treatMissingData ? MISSING_DATA[c.treatMissingData] : undefined,
  });
}

const COMPARISON: Record<MetricAlarmConfig['comparisonOperator'], cloudwatch.ComparisonOperator> = {
  GreaterThanOrEqualToThreshold: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
  GreaterThanThreshold: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
  LessThanThreshold: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
  LessThanOrEqualToThreshold: cloudwatch.ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD,
};

const MISSING_DATA: Record<NonNullable<MetricAlarmConfig['treatMissingData']>, cloudwatch.TreatMissingData> = {
  breaching: cloudwatch.TreatMissingData.BREACHING,
  notBreaching: cloudwatch.TreatMissingData.NOT_BREACHING,
  ignore: cloudwatch.TreatMissingData.IGNORE,
  missing: cloudwatch.TreatMissingData.MISSING,
};
