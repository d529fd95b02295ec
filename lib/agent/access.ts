/**
 * Read access for an agent role that an earlier stage created. A cluster's agent serves
 * every environment that lists the cluster, but only the owner's stage creates the role;
 * environments deployed later (prod-02 and prod-03 on g360-prod-core-01) do not exist when
 * it runs, and their generated IDs cannot be known ahead. So each later environment's stage
 * grants the role, imported by its fixed name, read access to its own configurations. The
 * grant lives and dies with the environment it is about.
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { Model } from '../model';
import { acknowledgeConfigReadWildcards } from './nag';
import { agentNames } from './names';
import type { EnvironmentsByName } from './stack';
import { clusterOwner, servedEnvironments } from './topology';

export interface AgentConfigAccessProps {
  readonly model: Model;
  /** Key of the cluster whose agent gets access. */
  readonly cluster: string;
  /** AppConfig environments of this stage, by environment name then application name. */
  readonly environments: EnvironmentsByName;
}

export class AgentConfigAccess extends Construct {
  /** The agent role, imported by name from the owner's stage. */
  readonly agentRole: iam.IRole;

  constructor(scope: Construct, id: string, props: AgentConfigAccessProps) {
    super(scope, id);
    const served = servedEnvironments(props.model, props.cluster);
    const owner = clusterOwner(props.model, props.cluster).environment;
    const appNames = props.model.applications.map((a) => a.name);
    for (const [env, apps] of Object.entries(props.environments)) {
      if (!served.includes(env)) {
        throw new Error(`environments.${env}: cluster '${props.cluster}' does not serve '${env}' (it serves ${served.join(', ')}); list the cluster in environments.${env}.clusters first`);
      }
      if (env === owner) {
        throw new Error(`environments.${env}: '${env}' owns cluster '${props.cluster}', so its ClusterAgentStack grants it already; AgentConfigAccess is for environments deployed after the owner`);
      }
      const missing = appNames.filter((a) => !apps[a]);
      if (missing.length) throw new Error(`environments.${env}: missing the AppConfig environment of ${missing.join(', ')}; pass every application's`);
    }
    const names = agentNames(props.model, props.cluster);
    // mutable: the grant attaches a policy of this stack to the imported role.
    this.agentRole = iam.Role.fromRoleName(this, 'AgentRole', names.agentRoleName, { mutable: true });
    for (const apps of Object.values(props.environments)) {
      for (const environment of Object.values(apps)) environment.grantReadConfig(this.agentRole);
    }
    acknowledgeConfigReadWildcards(this);
  }
}
