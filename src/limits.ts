/**
 * Every bound the API puts on what one client may ask of it (docs/front-door.md),
 * named once here. A request over a document limit gets a validation error;
 * a socket over a socket limit is closed. Together they keep the server's
 * memory bounded whatever clients send.
 */

/** Request bodies larger than this are refused with 413. */
export const MAX_REQUEST_BODY_BYTES = 1_000_000;
/** Queries nested deeper than this are refused at validation. */
export const MAX_QUERY_DEPTH = 15;
/** Aliases per operation (20 aliases of `logs` was a 203 MB answer). */
export const MAX_ALIASES = 50;
/** Lexical tokens per document, counted while parsing, before any work. */
export const MAX_TOKENS = 3_000;
/**
 * graphql-armor's static cost: each object field costs OBJECT_COST and each
 * scalar SCALAR_COST, weighted by DEPTH_COST_FACTOR per level of nesting,
 * and a list field's cost is multiplied by its literal `first`. So lists
 * inside lists multiply: `workloads(first: 100) { edges { node {
 * logs(first: 10000) { message } } } }` costs about 12 million and is
 * refused, while one `logs(first: 10000)` with every field (about 140,000)
 * passes, and a top-level page too large (`workloads(first: 100000)`, about
 * 725,000) still gets its own BAD_USER_INPUT saying what is allowed. The
 * SDK's operations cost under 100.
 */
export const MAX_COST = 1_000_000;
export const OBJECT_COST = 2;
export const SCALAR_COST = 1;
export const DEPTH_COST_FACTOR = 1.5;
/** Log entries one response may carry, across every `logs` field in it. */
export const MAX_LOG_ENTRIES_PER_RESPONSE = 10_000;

/** Largest WebSocket message a client may send; a bigger frame closes its socket (1009) unread. */
export const WS_MAX_PAYLOAD_BYTES = 1024 * 1024;
/** Open WebSocket connections; the next upgrade is refused with 503 until one closes. */
export const MAX_WS_CONNECTIONS = 4_000;
/** Open TCP connections of the HTTP server, WebSockets included. */
export const MAX_HTTP_CONNECTIONS = 8_000;
/** Operations one WebSocket connection may run at once. */
export const MAX_SUBSCRIPTIONS_PER_CONNECTION = 100;
/** A WebSocket connection that has not authenticated by then is closed (4401). */
export const WS_AUTH_TIMEOUT_MS = 5_000;

/** Rows of one catch-up read of a log (a page ends earlier when CATCH_UP_PAGE_BYTES is reached). */
export const CATCH_UP_PAGE_ROWS = 2_000;
/** Message bytes of one catch-up read: a subscription holds at most about this much of a page. */
export const CATCH_UP_PAGE_BYTES = 1024 * 1024;
/** Message bytes of the entries handed to a subscriber in one step (one WebSocket write burst). */
export const LOG_BATCH_BYTES = 1024 * 1024;
/**
 * A subscriber whose socket has not taken the previous step's entries for
 * this long has stopped reading: it is closed with LOG_STREAM_OVERFLOW.
 */
export const SUBSCRIBER_STALL_MS = 5_000;
