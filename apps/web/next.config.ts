import type { NextConfig } from 'next';

const config: NextConfig = {
  // Workspace packages ship TypeScript source; Next compiles them with the app.
  transpilePackages: ['@trainhub/api', '@trainhub/db', '@trainhub/ml'],
  // Native and Node-only drivers stay outside the bundle and load from node_modules at run time.
  serverExternalPackages: [
    'better-sqlite3',
    '@prisma/adapter-better-sqlite3',
    'pg',
    '@prisma/adapter-pg',
    'bcryptjs',
  ],
  poweredByHeader: false,
  typedRoutes: false,
};

export default config;
