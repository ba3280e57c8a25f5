/**
 * The client's defaults, on their own so that chatctl can show them in `--help` without
 * loading the client and the wire codec (which a one-shot command loads only to connect).
 */
export const DEFAULT_PORT = 7878;
/** How long `connect` waits for the connection (and the TLS handshake) to be made. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/**
 * How long a request may wait for its answer, and how long the server may stay silent before
 * it is pinged: a server that misses it is taken for dead (a request waits at most twice that).
 */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
