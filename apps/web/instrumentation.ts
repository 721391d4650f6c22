// Validates the configuration when the server starts, so a bad value fails fast with a clear message
// instead of on the first request.
export async function register() {
  if (process.env.NEXT_RUNTIME === 'nodejs') {
    const { webEnv } = await import('./src/server/config');
    webEnv();
  }
}
