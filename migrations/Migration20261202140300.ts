import { Migration } from '@mikro-orm/migrations';

/** Resource limits per deployment: memory (MiB), CPU (cores) and process count. */
export class Migration20261202140300 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `alter table "deployment" add column "memory_limit_mb" int null, add column "cpu_limit" double precision null, add column "pids_limit" int null;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(
      `alter table "deployment" drop column "memory_limit_mb", drop column "cpu_limit", drop column "pids_limit";`,
    );
  }
}
