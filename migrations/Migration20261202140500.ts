import { Migration } from '@mikro-orm/migrations';

/**
 * The running stage: a deployment's periodic health checks and restart
 * policy; a workload's place in a restart chain (restart_of, attempt,
 * restart_count, scheduled_at) and its last resource sample.
 */
export class Migration20261202140500 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `alter table "deployment" add column "health_check_interval_ms" int not null default 10000, add column "health_check_timeout_ms" int not null default 2000, add column "health_check_failure_threshold" int not null default 3, add column "restart_policy" text check ("restart_policy" in ('never', 'on_failure', 'always')) not null default 'never', add column "max_restarts" int not null default 5;`,
    );
    this.addSql(
      `alter table "workload" add column "restart_of" uuid null, add column "attempt" int not null default 1, add column "restart_count" int not null default 0, add column "scheduled_at" timestamptz null, add column "cpu_percent" double precision null, add column "memory_bytes" double precision null, add column "pids" int null, add column "sampled_at" timestamptz null, add column "peak_memory_bytes" double precision null;`,
    );
    this.addSql(
      `alter table "workload" add constraint "workload_restart_of_foreign" foreign key ("restart_of") references "workload" ("id") on update cascade on delete set null;`,
    );
    this.addSql(`create index "workload_restart_of_index" on "workload" ("restart_of");`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "workload" drop constraint "workload_restart_of_foreign";`);
    this.addSql(`drop index "workload_restart_of_index";`);
    this.addSql(
      `alter table "workload" drop column "restart_of", drop column "attempt", drop column "restart_count", drop column "scheduled_at", drop column "cpu_percent", drop column "memory_bytes", drop column "pids", drop column "sampled_at", drop column "peak_memory_bytes";`,
    );
    this.addSql(
      `alter table "deployment" drop column "health_check_interval_ms", drop column "health_check_timeout_ms", drop column "health_check_failure_threshold", drop column "restart_policy", drop column "max_restarts";`,
    );
  }
}
