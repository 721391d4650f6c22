import { expect, test } from '@playwright/test';

test('the home page renders and reports a reachable database and a live trainer', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { level: 1, name: 'Trainhub' })).toBeVisible();
  await expect(page.getByTestId('status-database')).toContainText('reachable (sqlite)');
  // The trainer heartbeats every second in tests; reload until the page sees it.
  await expect(async () => {
    await page.reload();
    await expect(page.getByTestId('status-trainers')).toContainText('1 live');
  }).toPass({ timeout: 30_000 });
  await page.screenshot({ path: '.test-output/screenshots/home.png', fullPage: true });
});

test('the health endpoint is green: database up and a trainer heartbeat', async ({ request }) => {
  await expect(async () => {
    const response = await request.get('/api/health');
    expect(response.status()).toBe(200);
    const health = await response.json();
    expect(health.database).toMatchObject({ ok: true, provider: 'sqlite' });
    expect(health.status).toBe('ok');
    expect(health.trainers.filter((t: { alive: boolean }) => t.alive)).toHaveLength(1);
    expect(Date.now() - Date.parse(health.lastTrainerHeartbeat)).toBeLessThan(20_000);
  }).toPass({ timeout: 30_000 });
});
