import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test, type Browser, type Page } from '@playwright/test';
import { adminCreateUser, PASSWORD, shot, signIn } from './helpers';

// The main flows of the web UI, in order, on one fresh install: the first account signs up freely, later
// people come in through an invite link or the admin CLI.
test.describe.configure({ mode: 'serial' });

const OWNER = 'owner@e2e.test';
const VIEWER = 'viewer@e2e.test';
const STRANGER = 'stranger@e2e.test';
const CSV = join(import.meta.dirname, 'fixtures/flowers.csv');

let projectUrl = '';
let executionUrl = '';
let modelUrl = '';

async function ownerPage(browser: Browser): Promise<Page> {
  const page = await browser.newPage();
  await signIn(page, OWNER);
  return page;
}

test('a new user signs up, builds a network, trains it live and downloads the model', async ({ page }) => {
  test.setTimeout(240_000);
  await page.goto('/');
  await page.getByRole('link', { name: 'Create an account' }).click();
  await expect(page.getByText('first account')).toBeVisible();
  await page.getByLabel('Email').fill(OWNER);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Repeat password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();

  // No team yet: create one, then a project.
  await expect(page.getByRole('heading', { name: 'Welcome to Trainhub' })).toBeVisible({ timeout: 30_000 });
  await page.getByLabel('Team name').fill('E2E Lab');
  await page.getByRole('button', { name: 'Create team' }).click();
  await expect(page.getByTestId('projects-empty')).toBeVisible();
  await shot(page, 'projects-empty');
  await page.getByRole('button', { name: 'New project' }).click();
  await page.getByLabel('Name').fill('Flowers');
  await page.getByRole('button', { name: 'Create project' }).click();
  await expect(page).toHaveURL(/\/projects\/\d+$/);
  projectUrl = new URL(page.url()).pathname;

  // Upload the CSV through the drop zone's file input; the list shows it.
  await page.getByTestId('file-input').setInputFiles(CSV);
  await expect(
    page.getByTestId('resources-dataset').getByRole('link', { name: 'flowers.csv', exact: true }),
  ).toBeVisible({
    timeout: 30_000,
  });
  await shot(page, 'project-files');
  await page.getByTestId('resources-dataset').getByRole('link', { name: 'flowers.csv', exact: true }).click();
  await expect(page.getByTestId('csv-preview')).toContainText('petal_length');
  await shot(page, 'resource-preview');

  // Architecture editor: shapes follow the dataset; add a layer, reorder, save.
  await page.goto(`${projectUrl}/architecture`);
  await expect(page.getByTestId('input-shape')).toHaveText('(4)');
  await expect(page.getByTestId('layer-row')).toHaveCount(3);
  await page.getByLabel('Layer type').selectOption('batchNormalization');
  await page.getByRole('button', { name: 'Add layer' }).click();
  await expect(page.getByTestId('layer-row')).toHaveCount(4);
  await page.getByRole('button', { name: 'Move layer 4 up' }).click();
  await expect(page.getByTestId('layer-row').nth(2)).toContainText('batchNormalization');
  // 4*16+16 + 0 + 4*16 + 16*8+8 + head 8*3+3 = 80 + 64 + 136 + 27
  await expect(page.getByTestId('total-params')).toHaveText('307');
  await page.getByLabel('Save as').fill('e2e-net');
  await page.getByRole('button', { name: 'Save architecture' }).click();
  await expect(page.getByText('Saved as e2e-net.architecture')).toBeVisible();
  await shot(page, 'architecture-editor');

  // Train it.
  await page.getByRole('link', { name: 'Train it' }).click();
  await expect(page.getByLabel('Architecture', { exact: true })).toHaveValue(/\d+/);
  await page.getByLabel('Model name').fill('flowers-net');
  await page.getByLabel('Epochs (training cycles)').fill('60');
  await page.getByLabel('Batch size').fill('4');
  await shot(page, 'train-form');
  await page.getByRole('button', { name: 'Start training' }).click();
  await expect(page).toHaveURL(/\/executions\/\d+$/, { timeout: 30_000 });
  executionUrl = new URL(page.url()).pathname;

  // The chart gains points while the run is in progress, without reloading the page.
  const chart = page.getByTestId('loss-chart');
  const seen: { status: string; points: number }[] = [];
  await expect
    .poll(
      async () => {
        const status = (await page.getByTestId('execution-status').getAttribute('data-status')) ?? '';
        const points = Number(await chart.getAttribute('data-points'));
        seen.push({ status, points });
        return status;
      },
      { timeout: 180_000, intervals: [200] },
    )
    .toBe('COMPLETED');
  const counts = seen.map((s) => s.points);
  expect(counts[0]).toBeLessThan(60);
  expect(
    new Set(counts.filter((n) => n > 0 && n < 60)).size,
    `point counts seen: ${counts.join(',')}`,
  ).toBeGreaterThan(0);
  expect(counts.at(-1)).toBe(60);
  await expect(page.getByTestId('epoch-count')).toHaveText('60');

  await expect(page.getByTestId('confusion-matrix')).toBeVisible();
  await expect(page.getByTestId('confusion-matrix')).toContainText('versicolor');
  await expect(page.getByTestId('stage-log')).toContainText('TRAIN');
  await shot(page, 'execution-completed');
  const downloadPromise = page.waitForEvent('download');
  await page.getByTestId('download-model').click();
  const download = await downloadPromise;
  expect(download.suggestedFilename()).toMatch(/\.zip$/);
  mkdirSync('.test-output/downloads', { recursive: true });
  await download.saveAs(`.test-output/downloads/${download.suggestedFilename()}`);
  modelUrl = (await page.getByTestId('download-model').getAttribute('href')) ?? '';

  await page.goto(`${projectUrl}/tasks`);
  await expect(page.getByTestId('tasks-table')).toContainText('flowers-net');
  await shot(page, 'trainings');
  await page.goto(`${projectUrl}/api`);
  const projectId = projectUrl.split('/').pop();
  await expect(page.getByTestId('trpc-snippet')).toContainText(`projectId: ${projectId}`);
  // MLW ids are N_Project / N_Resource (a bare number answers 404).
  await expect(page.getByTestId('routes-mlw')).toContainText(
    `/service/mlw/projects/${projectId}_Project/resources`,
  );
  await page.getByRole('tab', { name: 'Edge Impulse' }).click();
  await expect(page.getByTestId('routes-edge-impulse')).toContainText('/v1/api/projects');
  await shot(page, 'api');
  // The interactive reference (Swagger UI) renders the generated document with its operations.
  await page.getByRole('tab', { name: 'MLW' }).click();
  await page.getByText('Interactive reference (schemas and examples)').click();
  await expect(page.getByTestId('openapi-viewer')).toContainText(
    '/projects/{projectID}/resources/{resourceID}/trainNN',
    {
      timeout: 30_000,
    },
  );
  await shot(page, 'api-reference');
});

test('a viewer sees the project but no write buttons, and the server refuses a forced write', async ({
  browser,
}) => {
  const owner = await ownerPage(browser);
  await owner.goto('/team');
  await owner.getByLabel('Invite as').selectOption('VIEWER');
  await owner.getByRole('button', { name: 'Create invite link' }).click();
  const link = await owner.getByTestId('invite-link').inputValue();
  expect(link).toContain('/invite/');
  await owner.getByLabel('Name', { exact: true }).fill('ci key');
  await owner.getByRole('button', { name: 'Create key' }).click();
  // New keys start with ei_ (Edge Impulse clients refuse other keys; services/accounts.ts).
  await expect(owner.getByTestId('new-api-key')).toHaveValue(/^ei_/);
  await shot(owner, 'team');
  await owner.close();

  const viewer = await browser.newPage();
  await viewer.goto(new URL(link).pathname);
  await viewer.getByRole('link', { name: 'Create an account and join' }).click();
  await expect(viewer.getByText('invited to join E2E Lab as viewer')).toBeVisible();
  await viewer.getByLabel('Email').fill(VIEWER);
  await viewer.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await viewer.getByLabel('Repeat password').fill(PASSWORD);
  await viewer.getByRole('button', { name: 'Create account' }).click();
  await expect(viewer.getByRole('link', { name: /Flowers/ })).toBeVisible({ timeout: 30_000 });
  await expect(viewer.getByRole('button', { name: 'New project' })).toHaveCount(0);

  await viewer.goto(projectUrl);
  await expect(viewer.getByTestId('my-role')).toHaveText('Viewer');
  await expect(viewer.getByTestId('resources-dataset')).toContainText('flowers.csv');
  await expect(viewer.getByTestId('dropzone')).toHaveCount(0);
  await expect(viewer.getByRole('button', { name: /Delete/ })).toHaveCount(0);
  await expect(viewer.getByRole('link', { name: 'Train', exact: true })).toHaveCount(0);
  await expect(viewer.getByRole('link', { name: 'Architecture', exact: true })).toHaveCount(0);
  await shot(viewer, 'viewer-project');
  await viewer.goto(executionUrl);
  await expect(viewer.getByTestId('execution-status')).toHaveAttribute('data-status', 'COMPLETED');
  await expect(viewer.getByRole('button', { name: 'Rerun unchanged' })).toHaveCount(0);
  await expect(viewer.getByTestId('run-again')).toHaveCount(0);
  await expect(viewer.getByTestId('download-model')).toBeVisible();

  // Forced writes: the services refuse them.
  const upload = await viewer.request.post(`/api/ui${projectUrl}/resources?name=evil.csv`, {
    data: 'a,b\n1,2\n',
    headers: { 'content-type': 'text/csv' },
  });
  expect(upload.status()).toBe(403);
  const train = await viewer.request.get(`${projectUrl}/train`);
  expect(train.status()).toBe(404);

  // On a phone: nothing wider than the screen.
  await viewer.setViewportSize({ width: 390, height: 844 });
  for (const [url, name] of [
    [executionUrl, 'phone-execution'],
    [projectUrl, 'phone-project'],
  ] as const) {
    await viewer.goto(url);
    await expect(viewer.getByTestId('project-name')).toBeVisible();
    const overflow = await viewer.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, name).toBeLessThanOrEqual(1);
    await shot(viewer, name);
  }
  await viewer.close();
});

test('a user of another team cannot open the project (not found)', async ({ browser }) => {
  const page = await browser.newPage();
  // After the first account, sign-up needs an invite: this one comes from the operator CLI.
  await page.goto('/signup');
  await expect(page.getByText('created with an invite link')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Create account' })).toHaveCount(0);
  adminCreateUser(STRANGER, 'Elsewhere');
  await page.goto('/signin');
  await page.getByLabel('Email').fill(STRANGER);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page.getByText('Wrong email or password.')).toBeVisible();
  await signIn(page, STRANGER);
  await expect(page.getByRole('link', { name: /Flowers/ })).toHaveCount(0);
  for (const url of [projectUrl, executionUrl, `${projectUrl}/schedules`]) {
    const response = await page.goto(url);
    expect(response?.status(), url).toBe(404);
    await expect(page.getByTestId('not-found')).toBeVisible();
  }
  const download = await page.request.get(modelUrl);
  expect(download.status()).toBe(404);
  // The run page's poll (executions.progress over tRPC) is refused too.
  const pollInput = {
    projectId: Number(projectUrl.split('/').pop()),
    executionId: Number(executionUrl.split('/').pop()),
  };
  const poll = await page.request.get(
    `/api/trpc/executions.progress?input=${encodeURIComponent(JSON.stringify({ json: pollInput }))}`,
  );
  expect(poll.status()).toBe(404);

  // Their own teams: rename, create a second one, switch back.
  await page.goto('/team');
  await page.getByLabel('Current name').fill('Elsewhere Labs');
  await page.getByRole('button', { name: 'Rename' }).click();
  await expect(page.getByTestId('team-switcher')).toContainText('Elsewhere Labs');
  await page.getByLabel('Team name').fill('Second team');
  await page.getByRole('button', { name: 'Create team' }).click();
  await expect(page).toHaveURL(/\/projects$/);
  await expect(page.getByTestId('team-switcher')).toContainText('Second team');
  await page.getByTestId('team-switcher').click();
  await page.getByRole('menuitem', { name: /Elsewhere Labs/ }).click();
  await expect(page.getByTestId('team-switcher')).toContainText('Elsewhere Labs');
  // Its only owner cannot leave it.
  await page.goto('/team');
  page.once('dialog', (dialog) => void dialog.accept());
  await page.getByRole('button', { name: 'Leave team' }).click();
  await expect(page.getByText(/keeps at least one owner/)).toBeVisible();
  // Its owner deletes the second team: the button arms only once the name is typed.
  await page.getByTestId('team-switcher').click();
  await page.getByRole('menuitem', { name: /Second team/ }).click();
  await expect(page.getByTestId('team-switcher')).toContainText('Second team');
  await page.goto('/team');
  const remove = page.getByRole('button', { name: 'Delete team' });
  await expect(remove).toBeDisabled();
  await page.getByLabel('Type Second team to confirm').fill('Second tea');
  await expect(remove).toBeDisabled();
  await page.getByLabel('Type Second team to confirm').fill('Second team');
  await remove.click();
  await expect(page).toHaveURL(/\/projects$/);
  await expect(page.getByTestId('team-switcher')).toContainText('Elsewhere Labs');
  await page.getByTestId('team-switcher').click();
  await expect(page.getByRole('menuitem', { name: /Second team/ })).toHaveCount(0);
  await page.keyboard.press('Escape');
  await page.close();
});

test('a cron schedule created in the UI shows its next runs and fires', async ({ browser }) => {
  test.setTimeout(180_000);
  const page = await ownerPage(browser);
  await page.goto(`${projectUrl}/train`);
  await page.getByLabel('Model name').fill('every-10s');
  await page.getByLabel('Network').selectOption('simple');
  await page.getByLabel('Hidden layers').fill('8');
  await page.getByLabel('Epochs (training cycles)').fill('3');
  await page.getByLabel('Batch size').fill('16');
  await page.getByLabel('Repeatedly (cron)').check();
  await page.getByLabel('Cron expression').fill('*/10 * * * * *');
  await expect(page.getByTestId('next-runs').getByRole('listitem')).toHaveCount(5);
  await page.getByLabel('Cron expression').fill('not a cron');
  await expect(page.locator('p[role=alert]')).toBeVisible();
  await page.getByLabel('Cron expression').fill('*/10 * * * * *');
  await expect(page.getByTestId('next-runs').getByRole('listitem')).toHaveCount(5);
  await shot(page, 'train-cron');
  await page.getByRole('button', { name: 'Create schedule' }).click();
  await expect(page).toHaveURL(/\/schedules$/, { timeout: 30_000 });
  const row = page.getByTestId('schedule-row').filter({ hasText: 'every-10s' });
  await expect(row.getByTestId('next-run')).toBeVisible();

  // It fires: a run appears and completes.
  await expect(async () => {
    await page.reload();
    await expect(row.getByTestId('last-run')).toContainText('Completed');
  }).toPass({ timeout: 150_000, intervals: [2000] });
  await shot(page, 'schedules');
  await row.getByRole('switch').click();
  await expect(row.getByText('paused')).toBeVisible();
  await page.close();
});

test('a long training can be stopped early from its page, and a rerun cancelled', async ({ browser }) => {
  test.setTimeout(180_000);
  const page = await ownerPage(browser);
  await page.goto(`${projectUrl}/train`);
  await page.getByLabel('Model name').fill('long-run');
  await page.getByLabel('Network').selectOption('simple');
  await page.getByLabel('Epochs (training cycles)').fill('100000');
  await page.getByLabel('Batch size').fill('4');
  await page.getByRole('button', { name: 'Start training' }).click();
  await expect(page).toHaveURL(/\/executions\/\d+$/, { timeout: 30_000 });
  const status = page.getByTestId('execution-status');
  await expect(status).toHaveAttribute('data-status', 'RUNNING', { timeout: 60_000 });
  await expect
    .poll(async () => Number(await page.getByTestId('epoch-count').textContent()), { timeout: 60_000 })
    .toBeGreaterThan(0);
  await page.getByRole('button', { name: 'Stop early' }).click();
  await expect(status).toHaveAttribute('data-status', 'STOPPED', { timeout: 60_000 });
  await expect(page.getByRole('button', { name: 'Stop early' })).toHaveCount(0);
  // The "Stopping after the current batch…" notice goes once the run has stopped.
  await expect(page.getByTestId('stop-notice')).toHaveCount(0);

  await page.getByRole('button', { name: 'Rerun unchanged' }).click();
  await expect(page).not.toHaveURL(new RegExp(`${new URL(page.url()).pathname}$`), { timeout: 30_000 });
  await expect(status).toHaveAttribute('data-status', /QUEUED|RUNNING/);
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(status).toHaveAttribute('data-status', 'CANCELLED', { timeout: 60_000 });
  await page.goto(`${projectUrl}/tasks?status=CANCELLED`);
  await expect(page.getByTestId('tasks-table')).toContainText('long-run');
  await shot(page, 'trainings-filtered');
  await page.close();
});

test('changing a password signs out every session; only the new password signs in', async ({ browser }) => {
  const email = 'changer@e2e.test';
  adminCreateUser(email, 'Changers');
  const elsewhere = await browser.newPage(); // another device, signed in before the change
  await signIn(elsewhere, email);
  const page = await browser.newPage();
  await signIn(page, email);
  await page.getByRole('button', { name: 'Account menu' }).click();
  await page.getByRole('menuitem', { name: 'Account' }).click();
  await expect(page).toHaveURL(/\/account$/);
  const form = page.getByRole('form', { name: 'Change password' });
  const fill = async (current: string) => {
    await form.getByLabel('Current password').fill(current);
    await form.getByLabel('New password', { exact: true }).fill('brand new password');
    await form.getByLabel('Repeat new password').fill('brand new password');
    await form.getByRole('button', { name: 'Change password' }).click();
  };
  await fill('not my password');
  await expect(form.getByText(/current password is wrong/)).toBeVisible();
  await shot(page, 'account');
  await fill(PASSWORD);
  await expect(page).toHaveURL(/\/signin\?changed=1/);
  await expect(page.getByRole('status')).toContainText('sign in with the new password');

  // The other session has ended too.
  await elsewhere.goto('/projects');
  await expect(elsewhere).toHaveURL(/\/signin/);
  await elsewhere.close();

  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page.getByText('Wrong email or password.')).toBeVisible();
  await signIn(page, email, 'brand new password');
  await page.close();
});
