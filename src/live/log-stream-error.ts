import { GraphQLError } from 'graphql';

/**
 * A workloadLogs subscriber that stopped reading while its entries piled up
 * is closed with this error (not masked: the client needs the seq to resume).
 */
export class LogStreamOverflowError extends GraphQLError {
  constructor(
    readonly lastSeq: number,
    limit: number,
  ) {
    super(
      `This subscription stopped reading while more than ${limit} log entries waited for it, so it was closed: ` +
        `subscribe again with after: ${lastSeq} (the last seq it was sent) to resume without a gap`,
      { extensions: { code: 'LOG_STREAM_OVERFLOW', lastSeq } },
    );
  }
}
