import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { expect, type Page } from '@playwright/test';

export const SHOTS = '.test-output/screenshots';
export const DATA_DIR = resolve(process.env.E2E_DATA_DIR ?? '.test-output/e2e-data');
export const PASSWORD = 'e2e password 1';

export async function shot(page: Page, name: string) {
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
}

export async function signIn(page: Page, email: string, password = PASSWORD) {
  await page.goto('/signin');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page).toHaveURL(/\/projects/, { timeout: 30_000 });
}

/** Creates a user (owner of a new team) with the operator CLI, against the e2e server's database. */
export function adminCreateUser(email: string, team: string) {
  const result = spawnSync(
    process.execPath,
    ['scripts/admin.mjs', 'create-user', '--email', email, '--password', PASSWORD, '--team', team],
    { env: { ...process.env, DATA_DIR, DATABASE_URL: '' }, encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`admin create-user failed: ${result.stderr || result.stdout}`);
}
