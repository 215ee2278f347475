import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * The server's structured logger (JSON lines). `pretty: true` (or UNBUNDLED_LOG_FORMAT=pretty)
 * gives a human-readable terminal mode. Secrets never reach it: authorization headers, tokens
 * and passwords are redacted by path, and URLs go through `redactUrl` before logging.
 */
export function createLogger(
  options: { level?: string; pretty?: boolean; destination?: NodeJS.WritableStream } = {},
): Logger {
  const pretty = options.pretty ?? process.env.UNBUNDLED_LOG_FORMAT === 'pretty';
  const base = {
    level: options.level ?? process.env.UNBUNDLED_LOG_LEVEL ?? 'info',
    base: { component: 'serve' },
    redact: {
      paths: [
        'token',
        '*.token',
        'adminToken',
        'readToken',
        'password',
        '*.password',
        'headers.authorization',
        '*.headers.authorization',
      ],
      censor: '[redacted]',
    },
  };
  if (pretty)
    return pino({ ...base, transport: { target: 'pino-pretty', options: { colorize: true } } });
  return options.destination ? pino(base, options.destination) : pino(base);
}

/** A URL safe to log: password and query string removed (tokens travel in queries). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    u.search = '';
    return u.toString();
  } catch {
    return url.replace(/\?.*$/, '');
  }
}
