import { Migration } from '@mikro-orm/migrations';

const REASONS = `('validate', 'build', 'deploy', 'crash', 'health', 'memory', 'cancelled', 'runner_lost')`;
const STAGES = `('pending', 'validate', 'build', 'deploy', 'running', 'stopped', 'failed')`;

/**
 * Failure reasons as data and stage visits with their times: what the
 * metrics and `workloadStats` are derived from.
 */
export class Migration20261202140400 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `alter table "workload" add column "failure_reason" text check ("failure_reason" in ${REASONS}) null;`,
    );
    // Workloads failed before this column existed: the stage they failed in is all the data says
    // (pending could only be left to failed by a cancel; running, by the service ending).
    this.addSql(
      `update "workload" set "failure_reason" = case "failed_stage" when 'pending' then 'cancelled' when 'running' then 'crash' else "failed_stage" end
        where "stage" = 'failed';`,
    );
    this.addSql(
      `alter table "workload" add constraint workload_failed_has_reason_check check((stage = 'failed'::text) = (failure_reason IS NOT NULL));`,
    );

    this.addSql(
      `create table "workload_stage" ("workload_id" uuid not null, "stage" text check ("stage" in ${STAGES}) not null, "deployment_id" uuid not null, "entered_at" timestamptz null, "left_at" timestamptz null, "next_stage" text check ("next_stage" in ${STAGES}) null, "failure_reason" text check ("failure_reason" in ${REASONS}) null, constraint "workload_stage_pkey" primary key ("workload_id", "stage"));`,
    );
    this.addSql(
      `create index "workload_stage_deployment_idx" on "workload_stage" ("deployment_id", "stage");`,
    );
    // Existing workloads: their pending visit (created → claimed) is known; of the later
    // stages only the last one and when it ended; the stages in between were not recorded.
    this.addSql(
      `insert into "workload_stage" ("workload_id", "stage", "deployment_id", "entered_at", "left_at", "next_stage", "failure_reason")
       select "id", 'pending', "deployment_id", "created_at",
              case when "started_at" is not null then "started_at" when "stage" = 'failed' then "finished_at" end,
              case when "started_at" is not null then 'validate' when "stage" = 'failed' then 'failed' end,
              case when "started_at" is null and "stage" = 'failed' then "failure_reason" end
         from "workload";`,
    );
    this.addSql(
      `insert into "workload_stage" ("workload_id", "stage", "deployment_id", "entered_at", "left_at", "next_stage", "failure_reason")
       select "id", "last", "deployment_id", case when "last" = 'validate' then "started_at" end, "finished_at",
              case when "stage" in ('stopped', 'failed') then "stage" end, "failure_reason"
         from (select *, case when "stage" = 'failed' then "failed_stage" when "stage" = 'stopped' then 'running' else "stage" end as "last"
                 from "workload" where "started_at" is not null) as w
        where "last" <> 'pending';`,
    );
  }
}
