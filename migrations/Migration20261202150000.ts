import { Migration } from '@mikro-orm/migrations';

/**
 * A running workload's cumulative CPU time with its other resource
 * samples: `cpu_percent` is a rate over the last interval, while the
 * metrics' `agentforge_workload_cpu_seconds_total` is a counter.
 */
export class Migration20261202150000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "workload" add column "cpu_seconds" double precision null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "workload" drop column "cpu_seconds";`);
  }
}
