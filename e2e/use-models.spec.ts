import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { adminCreateUser, shot, signIn } from './helpers';

// Using a trained model in the UI: train on a CSV, open the model on the Models page, try one row (and
// pasted rows), score a dataset, test on a labelled dataset and see the confusion matrix, deploy it.
// (Runs after ui.spec.ts, which needs the fresh install's first sign-up; this user comes from the admin CLI.)
const USER = 'models@e2e.test';
const CSV = join(import.meta.dirname, 'fixtures/flowers.csv');

test('train on a CSV, try the model, score a dataset, test it and see the confusion matrix', async ({
  page,
}) => {
  test.setTimeout(300_000);
  adminCreateUser(USER, 'Models Lab');
  await signIn(page, USER);
  await page.getByRole('button', { name: 'New project' }).click();
  await page.getByLabel('Name').fill('Model use');
  await page.getByRole('button', { name: 'Create project' }).click();
  await expect(page).toHaveURL(/\/projects\/\d+$/);
  const projectUrl = new URL(page.url()).pathname;
  await page.getByTestId('file-input').setInputFiles(CSV);
  await expect(
    page.getByTestId('resources-dataset').getByRole('link', { name: 'flowers.csv', exact: true }),
  ).toBeVisible({ timeout: 30_000 });

  // Train.
  await page.goto(`${projectUrl}/train`);
  await page.getByLabel('Model name').fill('flowers-net');
  await page.getByLabel('Epochs (training cycles)').fill('40');
  await page.getByLabel('Batch size').fill('8');
  await page.getByRole('button', { name: 'Start training' }).click();
  await expect(page).toHaveURL(/\/executions\/\d+$/, { timeout: 30_000 });
  await expect(page.getByTestId('execution-status')).toHaveAttribute('data-status', 'COMPLETED', {
    timeout: 180_000,
  });

  // The Models page lists it; open the version.
  await page.getByRole('link', { name: 'Models', exact: true }).click();
  const group = page.getByTestId('model-group').filter({ hasText: 'flowers-net' });
  await expect(group).toContainText('1 version');
  await shot(page, 'models');
  await group.getByRole('link', { name: 'flowers-net v1' }).click();
  await expect(page.getByRole('heading', { name: 'flowers-net v1' })).toBeVisible({ timeout: 30_000 });

  // Try it: one input per feature, named from the metadata.
  for (const [feature, value] of [
    ['sepal_length', '5.0'],
    ['sepal_width', '3.5'],
    ['petal_length', '1.4'],
    ['petal_width', '0.2'],
  ] as const)
    await page.getByLabel(feature, { exact: true }).fill(value);
  await page.getByRole('button', { name: 'Predict', exact: true }).click();
  const result = page.getByTestId('prediction-result');
  // The first prediction loads TensorFlow.js and the model into the web process.
  await expect(result).toHaveCount(1, { timeout: 60_000 });
  await expect(result.getByTestId('probability-bar')).toHaveCount(3);
  const probabilities = await result
    .getByTestId('probability-bar')
    .evaluateAll((bars) => bars.map((b) => Number(b.getAttribute('data-value'))));
  expect(probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
  await expect(result.getByTestId('predicted-label')).toHaveText('setosa');

  // Several rows pasted as CSV (by feature name), and a bad one answered with the row and the feature.
  await page
    .getByLabel('Several rows as CSV')
    .fill('petal_width,petal_length,sepal_width,sepal_length\n0.2,1.4,3.5,5.0\n2.1,5.8,3.0,6.8');
  await page.getByRole('button', { name: 'Predict rows' }).click();
  await expect(page.getByTestId('prediction-result')).toHaveCount(2);
  await expect(page.getByTestId('predicted-label').nth(1)).toHaveText('virginica');
  await page.getByLabel('Several rows as CSV').fill('5.0,3.5,1.4,0.2\n5.0,abc,1.4,0.2');
  await page.getByRole('button', { name: 'Predict rows' }).click();
  await expect(page.getByTestId('try-error')).toHaveText(
    'Row 2: feature "sepal_width" is "abc", not a finite number',
  );
  await shot(page, 'model-try-it');

  // Score a dataset: progress, then the result file.
  await page.getByLabel('Dataset to score').selectOption({ label: 'flowers.csv' });
  await page.getByRole('button', { name: 'Score dataset' }).click();
  await expect(page.getByTestId('score-job')).toHaveAttribute('data-status', 'COMPLETED', {
    timeout: 60_000,
  });
  const href = await page.getByTestId('score-result').getAttribute('href');
  const scored = await page.request.get(href!);
  expect(scored.status()).toBe(200);
  const lines = (await scored.text()).trim().split('\n');
  expect(lines[0]).toBe(
    'sepal_length,sepal_width,petal_length,petal_width,species,probability_setosa,probability_versicolor,probability_virginica,prediction',
  );
  expect(lines).toHaveLength(121);

  // Test on a labelled dataset: the confusion matrix.
  await page.getByLabel('Labelled dataset').selectOption({ label: 'flowers.csv' });
  await page.getByRole('button', { name: 'Run test' }).click();
  const matrix = page.getByTestId('test-report').getByTestId('test-confusion-matrix');
  await expect(matrix).toBeVisible({ timeout: 60_000 });
  await expect(matrix).toContainText('versicolor');
  const cells = await matrix.locator('tbody td').allTextContents();
  expect(cells.map(Number).reduce((a, b) => a + b, 0)).toBe(120);
  await expect(page.getByTestId('tests-table')).toContainText('flowers.csv');
  await shot(page, 'model-tested');

  // Deploy the version; the Models page shows it.
  await page.getByRole('button', { name: 'Deploy this version' }).click();
  await expect(page.getByTestId('deployed-badge')).toBeVisible();
  await page.goto(`${projectUrl}/models`);
  await expect(page.getByTestId('model-group').filter({ hasText: 'flowers-net' })).toContainText(
    'v1 deployed',
  );
});
