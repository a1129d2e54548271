import { builder } from './builder.ts';
import './enums.ts';
import './project.ts';
import './deployment.ts';
import './deployment-update.ts';
import './workload.ts';
import './workload-log.ts';
import './runner.ts';
import './workload-stats.ts';

export const schema = builder.toSchema({ sortSchema: true });
