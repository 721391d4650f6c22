import 'server-only';
import { loadWebEnv, type WebEnv } from './web-env';

export type { WebEnv } from './web-env';

let cached: WebEnv | undefined;

/** The web app's configuration, validated once; a bad value stops the server with a clear message. */
export function webEnv(): WebEnv {
  cached ??= loadWebEnv();
  return cached;
}
