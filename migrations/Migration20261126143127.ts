import { Migration } from '@mikro-orm/migrations';

export class Migration20261126143127 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "project" ("id" uuid not null, "name" text not null, "root_path" text not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "project_pkey" primary key ("id"));`,
    );

    this.addSql(
      `create table "deployment" ("id" uuid not null, "project_id" uuid not null, "service_name" text not null, "service_path" text not null, "executor" text check ("executor" in ('auto', 'local', 'docker')) not null, "health_check_path" text null, "env" jsonb not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "deployment_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "deployment_project_id_index" on "deployment" ("project_id");`);

    this.addSql(
      `create table "runner" ("id" uuid not null, "hostname" text not null, "pid" int not null, "concurrency" int not null, "active_workloads" int not null default 0, "started_at" timestamptz not null, "last_heartbeat_at" timestamptz not null, "stopped_at" timestamptz null, "restart_requested_at" timestamptz null, "restarted_at" timestamptz null, constraint "runner_pkey" primary key ("id"));`,
    );

    this.addSql(
      `create table "workload" ("id" uuid not null, "deployment_id" uuid not null, "service_path" text not null, "stage" text check ("stage" in ('pending', 'validate', 'build', 'deploy', 'running', 'stopped', 'failed')) not null default 'pending', "executor" text check ("executor" in ('auto', 'local', 'docker')) null, "container_id" text null, "pid" int null, "port" int null, "url" text null, "error" text null, "failed_stage" text check ("failed_stage" in ('pending', 'validate', 'build', 'deploy', 'running', 'stopped', 'failed')) null, "exit_code" int null, "stop_requested" boolean not null default false, "runner_id" uuid null, "log_seq" int not null default 0, "created_at" timestamptz not null, "updated_at" timestamptz not null, "started_at" timestamptz null, "finished_at" timestamptz null, constraint "workload_pkey" primary key ("id"), constraint workload_log_seq_check check (log_seq >= 0), constraint workload_terminal_finished_check check ((stage in ('stopped', 'failed')) = (finished_at is not null)));`,
    );
    this.addSql(`create index "workload_runner_id_index" on "workload" ("runner_id");`);
    this.addSql(
      `create index "workload_deployment_created_idx" on "workload" ("deployment_id", "created_at");`,
    );
    this.addSql(`create index "workload_created_idx" on "workload" ("created_at");`);
    this.addSql(
      `create index "workload_pending_idx" on "workload" ("created_at") where "stage" = 'pending';`,
    );
    this.addSql(
      `create unique index "workload_live_port_unique" on "workload" ("port") where "port" is not null and "stage" not in ('stopped', 'failed');`,
    );

    this.addSql(
      `create table "workload_log" ("workload_id" uuid not null, "seq" int not null, "ts" timestamptz not null, "stage" text check ("stage" in ('pending', 'validate', 'build', 'deploy', 'running', 'stopped', 'failed')) not null, "level" text check ("level" in ('info', 'warn', 'error')) not null, "message" text not null, constraint "workload_log_pkey" primary key ("workload_id", "seq"), constraint workload_log_seq_positive check (seq > 0));`,
    );

    this.addSql(
      `alter table "deployment" add constraint "deployment_project_id_foreign" foreign key ("project_id") references "project" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `alter table "workload" add constraint "workload_deployment_id_foreign" foreign key ("deployment_id") references "deployment" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "workload" add constraint "workload_runner_id_foreign" foreign key ("runner_id") references "runner" ("id") on update cascade on delete set null;`,
    );

    this.addSql(
      `alter table "workload_log" add constraint "workload_log_workload_id_foreign" foreign key ("workload_id") references "workload" ("id") on update cascade on delete cascade;`,
    );
  }
}
