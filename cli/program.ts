import { Command, CommanderError, Option } from 'commander';
import { registerDeploy } from './commands/deploy.ts';
import { registerDeployment } from './commands/deployment.ts';
import { registerGateway } from './commands/gateway.ts';
import { registerProject } from './commands/project.ts';
import { registerWorkload } from './commands/workload.ts';
import { DEFAULT_API_URL } from './context.ts';
import { EXIT, errorLine, exitCodeOf } from './errors.ts';

/** `agentforge`: the command line client of the AgentForge API, built on the typed SDK. */
export function buildProgram(): Command {
  const program = new Command('agentforge')
    .description('Deploy and watch services on AgentForge from the terminal.')
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .configureHelp({ showGlobalOptions: true })
    .addOption(
      new Option('--api <url>', 'GraphQL endpoint of the API')
        .env('AGENTFORGE_API_URL')
        .default(DEFAULT_API_URL),
    )
    .addOption(
      new Option(
        '--token <token>',
        'API token (default: the api-token file in AGENTFORGE_DATA_DIR or .data)',
      ).env('AGENTFORGE_API_TOKEN'),
    )
    .option('--json', 'print JSON (JSON lines for streams) instead of text')
    .option(
      '--raw',
      'print log messages as stored (on a terminal, their control characters are shown escaped)',
    )
    .addHelpText(
      'after',
      `
Exit codes: 0 done (a followed workload is running or stopped), 1 the workload failed
(or a runner did not confirm its restart), 2 usage, API or connection error.`,
    );
  registerProject(program);
  registerDeployment(program);
  registerWorkload(program);
  registerDeploy(program);
  registerGateway(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (error) {
    // Commander has printed its own message (unknown option, missing argument, help).
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.error;
    process.stderr.write(`${errorLine(error)}\n`);
    return exitCodeOf(error);
  }
}
