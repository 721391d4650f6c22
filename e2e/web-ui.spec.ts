import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { adminCreateUser, SHOTS, shot, signIn } from './helpers';

// Issue 21's web UI checks: a form the server refuses keeps its values, the run page's hyperparameters,
// links and progress, "Run again…" prefilling the Train form, the API page's curl snippets run through a
// shell against this server, every main page at 390 px (screenshots) and an axe accessibility check.
// The user comes from the admin CLI, so the spec runs alone or after ui.spec.ts.
test.describe.configure({ mode: 'serial' });

const USER = 'webui@e2e.test';
const CSV = join(import.meta.dirname, 'fixtures/flowers.csv');
const NARROW = join(SHOTS, '390');

let projectUrl = '';
let executionUrl = '';

async function newProject(page: Page, name: string) {
  await page.goto('/projects');
  await page.getByRole('button', { name: 'New project' }).click();
  await page.getByLabel('Name').fill(name);
  await page.getByRole('button', { name: 'Create project' }).click();
  await expect(page).toHaveURL(/\/projects\/\d+$/);
  const url = new URL(page.url()).pathname;
  await page.getByTestId('file-input').setInputFiles(CSV);
  await expect(
    page.getByTestId('resources-dataset').getByRole('link', { name: 'flowers.csv', exact: true }),
  ).toBeVisible({ timeout: 30_000 });
  return url;
}

test('a Train form the server refuses keeps every value; fixing one field creates the right schedule', async ({
  page,
}) => {
  test.setTimeout(120_000);
  adminCreateUser(USER, 'Web UI Lab');
  await signIn(page, USER);
  projectUrl = await newProject(page, 'Web UI');

  await page.goto(`${projectUrl}/train`);
  await page.getByLabel('Model name').fill('nightly-flowers');
  await page.getByLabel('Network').selectOption('simple');
  await page.getByLabel('Hidden layers').fill('12 tanh, 6');
  await page.getByLabel('Epochs (training cycles)').fill('7');
  await page.getByLabel('Batch size').fill('5');
  await page.getByLabel('Learning rate').fill('0.05');
  await page.getByLabel('Optimizer').selectOption('sgd');
  await page.getByLabel('Repeatedly (cron)').check();
  await page.getByLabel('Cron expression').fill('not a cron');
  await page.getByRole('button', { name: 'Create schedule' }).click();

  // The server refuses the cron expression: the message shows once, at the cron field (not again under
  // the form), and nothing the user typed is lost.
  const cronError = page.locator('#cron-error');
  await expect(cronError).toHaveText(/^Invalid cron expression "not a cron"/, { timeout: 30_000 });
  await expect(page.getByRole('alert').filter({ hasText: /cron expression/i })).toHaveCount(1);
  await expect(page.getByLabel('Cron expression')).toHaveAttribute('aria-invalid', 'true');
  await expect(page).toHaveURL(/\/train$/);
  await expect(page.getByLabel('Model name')).toHaveValue('nightly-flowers');
  await expect(page.getByLabel('Network')).toHaveValue('simple');
  await expect(page.getByLabel('Hidden layers')).toHaveValue('12 tanh, 6');
  await expect(page.getByLabel('Epochs (training cycles)')).toHaveValue('7');
  await expect(page.getByLabel('Batch size')).toHaveValue('5');
  await expect(page.getByLabel('Learning rate')).toHaveValue('0.05');
  await expect(page.getByLabel('Optimizer')).toHaveValue('sgd');
  await expect(page.getByLabel('Repeatedly (cron)')).toBeChecked();
  await expect(page.getByLabel('Cron expression')).toHaveValue('not a cron');
  await shot(page, 'train-form-refused');

  // A refusal that is no one field's (a label column the dataset does not have) shows under the form;
  // every value stays, the cron field's fix included.
  await page.getByLabel('Cron expression').fill('0 4 * * *');
  await page.getByLabel('Label column').fill('no_such_column');
  await page.getByRole('button', { name: 'Create schedule' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'no_such_column' })).toBeVisible({
    timeout: 30_000,
  });
  await expect(page.locator('#cron-error')).toHaveCount(0);
  await expect(page).toHaveURL(/\/train$/);
  await expect(page.getByLabel('Model name')).toHaveValue('nightly-flowers');
  await expect(page.getByLabel('Hidden layers')).toHaveValue('12 tanh, 6');
  await expect(page.getByLabel('Learning rate')).toHaveValue('0.05');
  await expect(page.getByLabel('Cron expression')).toHaveValue('0 4 * * *');
  await expect(page.getByLabel('Label column')).toHaveValue('no_such_column');

  // A hidden layer that is not a number of units is named at its field, before anything is sent.
  await page.getByLabel('Label column').fill('');
  await page.getByLabel('Hidden layers').fill('12 tanh, many');
  await page.getByRole('button', { name: 'Create schedule' }).click();
  await expect(page.locator('#layers-error')).toHaveText('Write the number of units, e.g. 16');
  await expect(page.getByLabel('Hidden layers')).toHaveValue('12 tanh, many');
  await page.getByLabel('Hidden layers').fill('12 tanh, 6');

  // Fixing only the cron field creates the schedule with the name and epochs typed before.
  await page.getByLabel('Cron expression').fill('0 3 * * *');
  await page.getByRole('button', { name: 'Create schedule' }).click();
  await expect(page).toHaveURL(/\/schedules$/, { timeout: 30_000 });
  await expect(page.getByText('nightly-flowers')).toBeVisible();
});

test('the browser refuses a learning rate of 0 and a name of spaces, and warns about 100,000 epochs', async ({
  page,
}) => {
  await signIn(page, USER);
  await page.goto(`${projectUrl}/train`);
  const rate = page.getByLabel('Learning rate');
  await rate.fill('0');
  expect(await rate.evaluate((el: HTMLInputElement) => el.validity.valid)).toBe(false);
  await rate.fill('0.001');
  expect(await rate.evaluate((el: HTMLInputElement) => el.validity.valid)).toBe(true);
  const name = page.getByLabel('Model name');
  await name.fill('   ');
  expect(await name.evaluate((el: HTMLInputElement) => el.validity.valid)).toBe(false);
  await page.getByLabel('Epochs (training cycles)').fill('100000');
  await expect(page.getByText('100,000 epochs is a long training')).toBeVisible();
});

test('a run page shows its hyperparameters, links, epoch N of M and sane charts; Run again prefills the form', async ({
  page,
}) => {
  test.setTimeout(180_000);
  await signIn(page, USER);
  await page.goto(`${projectUrl}/train`);
  await page.getByLabel('Model name').fill('hp-run');
  await page.getByLabel('Network').selectOption('simple');
  await page.getByLabel('Epochs (training cycles)').fill('12');
  await page.getByLabel('Batch size').fill('8');
  await page.getByLabel('Learning rate').fill('0.02');
  await page.getByLabel('Random seed (optional)').fill('7');
  await page.getByRole('button', { name: 'Start training' }).click();
  await expect(page).toHaveURL(/\/executions\/\d+$/, { timeout: 30_000 });
  executionUrl = new URL(page.url()).pathname;
  await expect(page.getByTestId('execution-status')).toHaveAttribute('data-status', 'COMPLETED', {
    timeout: 150_000,
  });

  const hp = page.getByTestId('run-hyperparameters');
  await expect(hp.getByTestId('hp-Epochs')).toHaveText('12');
  await expect(hp.getByTestId('hp-Batch size')).toHaveText('8');
  await expect(hp.getByTestId('hp-Learning rate')).toHaveText('0.02');
  await expect(hp.getByTestId('hp-Seed')).toHaveText('7');
  await expect(page.getByTestId('epoch-progress')).toHaveText('epoch 12 of 12');
  const links = page.getByTestId('run-links');
  await expect(links.getByRole('link', { name: 'flowers.csv' })).toBeVisible();
  await expect(links.getByRole('link')).toHaveCount(2); // the dataset and the trained model

  // Accuracy on 0..1, the best epoch marked on the loss chart, rounded tick labels.
  await expect(page.getByTestId('metric-chart')).toHaveAttribute('data-y-domain', '0-1');
  await expect(page.getByTestId('loss-chart')).toHaveAttribute('data-best-epoch', /^\d+$/);
  const ticks = await page
    .locator('[data-testid="loss-chart"] svg text')
    .allTextContents()
    .then((texts) => texts.map((t) => t.trim()).filter((t) => /^-?[\d.]+(e[-+]?\d+)?$/.test(t)));
  expect(ticks.length).toBeGreaterThan(4);
  // Rounded labels: no 17-digit floats.
  for (const tick of ticks) expect(tick.length, tick).toBeLessThanOrEqual(7);
  await page.getByTestId('loss-chart-log').check();
  await expect(page.getByTestId('loss-chart')).toHaveAttribute('data-y-domain', 'log');
  await shot(page, 'run-page-details');

  // The dataset link opens the dataset.
  await links.getByRole('link', { name: 'flowers.csv' }).click();
  await expect(page).toHaveURL(/\/resources\/\d+$/);
  await page.goto(executionUrl);

  // "Run again…" opens the Train form with this run's settings, editable.
  await page.getByTestId('run-again').click();
  await expect(page).toHaveURL(/\/train\?from=\d+$/);
  await expect(page.getByLabel('Model name')).toHaveValue('hp-run');
  await expect(page.getByLabel('Network')).toHaveValue('simple');
  await expect(page.getByLabel('Epochs (training cycles)')).toHaveValue('12');
  await expect(page.getByLabel('Batch size')).toHaveValue('8');
  await expect(page.getByLabel('Learning rate')).toHaveValue('0.02');
  await expect(page.getByLabel('Random seed (optional)')).toHaveValue('7');
});

test('three runs compared: overlaid curves, differing settings highlighted, confusion matrices side by side', async ({
  page,
}) => {
  test.setTimeout(360_000);
  await signIn(page, USER);
  for (const rate of ['0.05', '0.1']) {
    await page.goto(`${projectUrl}/train`);
    await page.getByLabel('Model name').fill(`rate-${rate}`);
    await page.getByLabel('Network').selectOption('simple');
    await page.getByLabel('Epochs (training cycles)').fill('6');
    await page.getByLabel('Batch size').fill('8');
    await page.getByLabel('Learning rate').fill(rate);
    await page.getByRole('button', { name: 'Start training' }).click();
    await expect(page).toHaveURL(/\/executions\/\d+$/, { timeout: 30_000 });
    await expect(page.getByTestId('execution-status')).toHaveAttribute('data-status', 'COMPLETED', {
      timeout: 120_000,
    });
  }

  // The run list shows final metrics and sorts by them (best accuracy first).
  await page.goto(`${projectUrl}/tasks?sort=accuracy`);
  const accuracies = (await page.getByTestId('run-accuracy').allTextContents()).map((t) => parseFloat(t));
  expect(accuracies.length).toBe(3);
  expect([...accuracies].sort((a, b) => b - a)).toEqual(accuracies);

  const boxes = page.getByRole('checkbox', { name: /^Select run \d+ to compare$/ });
  await expect(boxes).toHaveCount(3);
  for (let i = 0; i < 3; i++) await boxes.nth(i).check();
  await page.getByTestId('compare-selected').click();
  await expect(page).toHaveURL(/\/compare\?runs=\d+&runs=\d+&runs=\d+$/);
  await expect(page.getByTestId('compare-loss')).toHaveAttribute('data-series', '3');
  await expect(page.getByTestId('compare-metric')).toHaveAttribute('data-series', '3');
  await expect(page.getByTestId('compare-matrix')).toHaveCount(3);
  const row = (label: string) =>
    page
      .getByTestId('compare-row')
      .filter({ has: page.getByRole('rowheader', { name: label, exact: true }) });
  await expect(row('Learning rate')).toHaveAttribute('data-differs', 'true');
  await expect(row('Batch size')).toHaveAttribute('data-differs', 'false');
  await expect(row('Learning rate')).toContainText('0.02');
  await expect(row('Learning rate')).toContainText('0.1');
  await shot(page, 'compare-three-runs');

  // One training's runs compared from its page (a run page links it): a second run of hp-run (tRPC's
  // tasks.rerun behind "Rerun unchanged"), then its page lists those two runs only and compares them.
  await page.goto(executionUrl);
  await page.getByRole('button', { name: 'Rerun unchanged' }).click();
  await expect(page).not.toHaveURL(executionUrl, { timeout: 30_000 });
  await expect(page).toHaveURL(/\/executions\/\d+$/);
  await expect(page.getByTestId('execution-status')).toHaveAttribute('data-status', 'COMPLETED', {
    timeout: 120_000,
  });
  await page.getByTestId('task-runs').click();
  await expect(page).toHaveURL(/\/tasks\?task=\d+$/);
  await expect(page.getByRole('heading', { name: 'Runs of hp-run' })).toBeVisible();
  await expect(page.getByRole('checkbox', { name: /^Select run \d+ to compare$/ })).toHaveCount(2);
  await page.getByTestId('compare-task-runs').click();
  await expect(page).toHaveURL(/\/compare\?runs=\d+&runs=\d+$/);
  await expect(page.getByTestId('compare-loss')).toHaveAttribute('data-series', '2');
  await expect(page.getByTestId('compare-matrix')).toHaveCount(2);
});

test("the API page's curl snippets work when run through a shell against this server", async ({
  page,
  baseURL,
}) => {
  test.setTimeout(180_000);
  await signIn(page, USER);
  // An API key from the Team page; revoking asks first (a dismissed question revokes nothing).
  // An architecture file, so that MLW's trainNN snippet has one to train.
  await page.goto(`${projectUrl}/architecture`);
  await page.getByLabel('Save as').fill('snippet-net');
  await page.getByRole('button', { name: 'Save architecture' }).click();
  await expect(page.getByText('Saved as snippet-net.architecture')).toBeVisible();
  // A project API key with the admin role (Edge Impulse's key routes need a project key and an admin).
  await page.goto('/team');
  await page.locator('#key-name').fill('snippets');
  await page.locator('#key-role').selectOption('ADMIN');
  await page.locator('#key-project').selectOption({ label: 'Project Web UI' });
  await page.getByRole('button', { name: 'Create key' }).click();
  const key = await page.getByTestId('new-api-key').inputValue();
  expect(key.length).toBeGreaterThan(10);

  await page.goto(`${projectUrl}/api`);
  const results: { style: string; method: string; path: string; status: number }[] = [];
  for (const [tab, style] of [
    ['MLW', 'mlw'],
    ['Edge Impulse', 'edge-impulse'],
    ['Training module', 'training-module'],
  ] as const) {
    await page.getByRole('tab', { name: tab }).click();
    const list = page.getByTestId(`routes-${style}`);
    await expect(list.locator('li').first()).toBeAttached();
    const snippets = await list.getByTestId('curl-snippet').evaluateAll((els) =>
      els.map((el) => ({
        method: el.getAttribute('data-method') ?? '',
        path: el.getAttribute('data-path') ?? '',
        ready: el.getAttribute('data-ready') === 'true',
        command: el.textContent ?? '',
      })),
    );
    expect(snippets.length).toBeGreaterThan(3);
    for (const s of snippets) {
      // No numeric MLW project or resource ids (the MLW style answers only N_Project / N_Resource).
      if (style === 'mlw') expect(s.command).not.toMatch(/\/projects\/\d+(\/|"|$)/);
      // A comment never follows a line continuation (it would swallow it).
      expect(s.command).not.toMatch(/\\\s*#|#[^\n]*\\$/m);
      expect(s.command).toContain(baseURL!);
    }
    // Run every ready read, and MLW's trainNN (which must train the architecture file, not a model).
    const runnable = snippets.filter(
      (s) => s.ready && (s.method === 'get' || (style === 'mlw' && s.path.endsWith('/trainNN'))),
    );
    for (const s of runnable) {
      const status = Number(
        execFileSync('bash', ['-c', `${s.command} -o /dev/null -w '%{http_code}'`], {
          env: { ...process.env, TRAINHUB_API_KEY: key },
          encoding: 'utf8',
          timeout: 30_000,
        }).trim(),
      );
      results.push({ style, method: s.method, path: s.path, status });
    }
  }
  mkdirSync('.test-output', { recursive: true });
  writeFileSync('.test-output/api-snippets.json', JSON.stringify(results, null, 2));
  expect(results.length).toBeGreaterThan(10);
  expect(results.some((r) => r.path.endsWith('/trainNN'))).toBe(true);
  // Every snippet run answers 2xx, except Edge Impulse's model download and model-testing results, which exist
  // only once a learn block (impulse) has been trained: this project trains from the UI, so there are none (404).
  const failed = results.filter(
    (r) =>
      (r.status < 200 || r.status >= 300) &&
      !(r.status === 404 && /\/deployment\/(evaluate|download)$/.test(r.path)),
  );
  expect(failed, JSON.stringify(failed)).toEqual([]);
});

const MAIN_PAGES = (project: string, execution: string) => [
  ['home', '/'],
  ['projects', '/projects'],
  ['project', project],
  ['train', `${project}/train`],
  ['trainings', `${project}/tasks`],
  ['schedules', `${project}/schedules`],
  ['run', execution],
  ['architecture', `${project}/architecture`],
  ['api', `${project}/api`],
  ['team', '/team'],
  ['account', '/account'],
];

test('every main page fits 390 px without horizontal scrolling (screenshots saved)', async ({ browser }) => {
  test.setTimeout(120_000);
  mkdirSync(NARROW, { recursive: true });
  const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
  await signIn(page, USER);
  const overflowing: string[] = [];
  for (const [name, url] of MAIN_PAGES(projectUrl, executionUrl)) {
    await page.goto(url);
    await page.waitForLoadState('networkidle');
    await page.screenshot({ path: join(NARROW, `${name}.png`), fullPage: true });
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    if (width > 390) overflowing.push(`${name} (${url}): ${width}px`);
  }
  expect(overflowing).toEqual([]);
  await page.close();
});

test('the main pages have no serious or critical accessibility violations (axe)', async ({ browser }) => {
  test.setTimeout(120_000);
  // axe needs a page of a context made with browser.newContext().
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, USER);
  const found: string[] = [];
  for (const [name, url] of MAIN_PAGES(projectUrl, executionUrl)) {
    await page.goto(url);
    await page.waitForLoadState('networkidle');
    const { violations } = await new AxeBuilder({ page }).analyze();
    for (const v of violations.filter((v) => v.impact === 'serious' || v.impact === 'critical'))
      found.push(
        `${name}: ${v.id} (${v.impact}) ${v.nodes
          .map((n) => n.target.join(' '))
          .slice(0, 3)
          .join(', ')}`,
      );
  }
  writeFileSync('.test-output/axe.txt', found.join('\n'));
  expect(found).toEqual([]);
  await context.close();
});
