import { GraphQLError } from 'graphql';

/**
 * A workloadLogs subscriber that stopped reading is closed with this error
 * (not masked: the client needs the seq to resume): `stalled`, its socket
 * took nothing for a while; `behind`, it fell far behind while its entries
 * piled up.
 */
export class LogStreamOverflowError extends GraphQLError {
  constructor(
    readonly lastSeq: number,
    reason: 'stalled' | 'behind',
  ) {
    super(
      `This subscription stopped reading (${reason === 'stalled' ? 'its socket took nothing for several seconds' : 'it fell too far behind the log'}), so it was closed: ` +
        `subscribe again with after: ${lastSeq} (the last seq it was sent) to resume without a gap`,
      { extensions: { code: 'LOG_STREAM_OVERFLOW', lastSeq } },
    );
  }
}
