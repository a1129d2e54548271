import { badInput } from './errors.ts';
import { MAX_LOG_ENTRIES_PER_RESPONSE } from './limits.ts';

/**
 * The log entries one response may still carry (docs/front-door.md): every `logs`
 * field of a request reserves its `first` before reading, so however many
 * aliases ask, the rows read for one response never pass the cap. What a
 * read did not use goes back. One per request (in its context).
 */
export class LogBudget {
  private left = MAX_LOG_ENTRIES_PER_RESPONSE;

  /** Reserves `wanted` entries or refuses the field with BAD_USER_INPUT. */
  reserve(wanted: number): void {
    if (wanted > this.left) {
      throw badInput(
        `This response would carry more than ${MAX_LOG_ENTRIES_PER_RESPONSE} log entries (the most one response may): ask for fewer with first, or for the rest in another request with after`,
        'first',
      );
    }
    this.left -= wanted;
  }

  /** Gives back what a read did not return. */
  release(unused: number): void {
    this.left += unused;
  }
}
