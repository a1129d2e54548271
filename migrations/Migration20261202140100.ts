import { Migration } from '@mikro-orm/migrations';

/**
 * The log table loses its per-row foreign key; a statement-level trigger
 * deletes the log of deleted workloads instead; ended workloads get an index
 * for log retention.
 *
 * PostgreSQL checks a foreign key with one trigger call per inserted row:
 * two thirds of the server's cost of a COPY of log rows. Every batch already
 * proves its workload exists, and keeps it from being deleted until commit,
 * by reserving its seq range on the workload row in the same transaction
 * (core/sql/reserve-log-seq.ts): a batch for a missing workload writes
 * nothing. What the constraint still did, removing a log with its workload,
 * is done once per DELETE statement (cascades from a deployment or a project
 * included) by `workload_delete_log`, from the statement's transition table.
 */
export class Migration20261202140100 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "workload_log" drop constraint "workload_log_workload_id_foreign";`);
    this.addSql(
      `create function "workload_delete_log"() returns trigger language plpgsql as $$
         begin
           delete from "workload_log" where "workload_id" in (select "id" from "deleted_workload");
           return null;
         end
       $$;`,
    );
    this.addSql(
      `create trigger "workload_delete_log" after delete on "workload"
         referencing old table as "deleted_workload"
         for each statement execute function "workload_delete_log"();`,
    );
    this.addSql(
      `create index "workload_finished_idx" on "workload" ("finished_at", "id") where "finished_at" is not null;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "workload_finished_idx";`);
    this.addSql(`drop trigger "workload_delete_log" on "workload";`);
    this.addSql(`drop function "workload_delete_log"();`);
    this.addSql(
      `delete from "workload_log" l where not exists (select 1 from "workload" w where w."id" = l."workload_id");`,
    );
    this.addSql(
      `alter table "workload_log" add constraint "workload_log_workload_id_foreign" foreign key ("workload_id") references "workload" ("id") on update cascade on delete cascade;`,
    );
  }
}
