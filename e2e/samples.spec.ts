import { expect, test, type APIRequestContext } from '@playwright/test';
import { adminCreateUser, PASSWORD, shot, signIn } from './helpers';

// The Samples page (issue 22): three samples sent through the Edge Impulse ingestion service with the
// project's ei_ key (two JSON training samples, one CSV testing sample), then the page's counts per label and
// category, each category's samples and the plot of one sample (one line per sensor).
test.describe.configure({ mode: 'serial' });

const USER = 'samples@e2e.test';
const SENSORS = [
  { name: 'accX', units: 'm/s2' },
  { name: 'accY', units: 'm/s2' },
  { name: 'accZ', units: 'm/s2' },
];

/** Rows of three readings every 10 ms: `wave` a sine, `idle` a small ramp. */
const readings = (label: 'idle' | 'wave', rows: number) =>
  Array.from({ length: rows }, (_, i) =>
    [0, 1, 2].map((axis) =>
      label === 'wave' ? Number((4 * Math.sin(i / 5 + axis)).toFixed(3)) : Number((i / 1000).toFixed(3)),
    ),
  );

const acquisition = (values: number[][]) =>
  JSON.stringify({
    protected: { ver: 'v1', alg: 'none' },
    signature: '0'.repeat(64),
    payload: { device_type: 'E2E', interval_ms: 10, sensors: SENSORS, values },
  });

async function ingest(
  request: APIRequestContext,
  key: string,
  category: 'training' | 'testing',
  file: { name: string; mimeType: string; text: string },
) {
  const answer = await request.post(`/ingestion/api/${category}/files`, {
    headers: { 'x-api-key': key },
    multipart: { data: { name: file.name, mimeType: file.mimeType, buffer: Buffer.from(file.text) } },
  });
  expect(answer.status()).toBe(200);
  const body = (await answer.json()) as { success: boolean; files: { success: boolean }[] };
  expect(body.success && body.files.every((f) => f.success)).toBe(true);
}

let projectId = 0;

test('samples ingested through the API show per label and category, with a plot of one', async ({
  page,
  request,
}) => {
  test.setTimeout(120_000);
  adminCreateUser(USER, 'Samples Lab');
  // The Edge Impulse way in: api-login, then a project created with its own ei_ key.
  const login = await request.post('/v1/api-login', { data: { username: USER, password: PASSWORD } });
  const { token } = (await login.json()) as { token: string };
  const created = await request.post('/v1/api/projects/create', {
    headers: { 'x-jwt-token': token },
    data: { projectName: 'Gestures' },
  });
  const project = (await created.json()) as { id: number; apiKey: string };
  expect(project.apiKey).toMatch(/^ei_/);
  projectId = project.id;

  await ingest(request, project.apiKey, 'training', {
    name: 'idle.01.json',
    mimeType: 'application/json',
    text: acquisition(readings('idle', 120)),
  });
  await ingest(request, project.apiKey, 'training', {
    name: 'wave.01.json',
    mimeType: 'application/json',
    text: acquisition(readings('wave', 150)),
  });
  const csv = `timestamp,accX,accY,accZ\n${readings('wave', 80)
    .map((row, i) => [i * 10, ...row].join(','))
    .join('\n')}\n`;
  await ingest(request, project.apiKey, 'testing', { name: 'wave.t1.csv', mimeType: 'text/csv', text: csv });

  await signIn(page, USER);
  await page.goto(`/projects/${projectId}`);
  await page.getByRole('link', { name: 'Samples', exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`/projects/${projectId}/samples$`));

  // Counts per label (rows) and category (columns).
  const summary = page.getByTestId('samples-summary');
  const counts = await summary
    .locator('tbody tr')
    .evaluateAll((rows) =>
      rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent?.trim() ?? '')),
    );
  expect(counts.sort((a, b) => a[0]!.localeCompare(b[0]!))).toEqual([
    ['idle', '1', '0'],
    ['wave', '1', '1'],
  ]);

  // Training (the default category): its two samples, lengths from rows x interval.
  const table = page.getByTestId('samples-table');
  await expect(table.locator('tbody tr')).toHaveCount(2);
  await expect(table.getByRole('row', { name: /idle\.01 idle 1200 ms accX, accY, accZ/ })).toBeVisible();
  await expect(table.getByRole('row', { name: /wave\.01 wave 1500 ms/ })).toBeVisible();

  // One sample's plot: its name, one line and one legend entry per sensor.
  await table.getByRole('link', { name: 'wave.01' }).click();
  const sample = page.getByRole('region', { name: 'Sample' });
  await expect(sample.getByRole('heading')).toHaveText('wave.01 (wave)');
  const plot = sample.getByTestId('sample-plot');
  await expect(plot.locator('path.recharts-line-curve')).toHaveCount(3);
  for (const s of SENSORS) await expect(plot.getByText(`${s.name} (${s.units})`)).toBeVisible();
  // The wave's curve moves (a flat line would be a path without vertical extent).
  const height = await plot
    .locator('path.recharts-line-curve')
    .first()
    .evaluate((el) => (el as SVGGraphicsElement).getBBox().height);
  expect(height).toBeGreaterThan(20);
  await shot(page, 'samples');

  // The testing category lists the CSV sample only.
  await page.getByRole('navigation', { name: 'Category' }).getByRole('link', { name: 'Testing' }).click();
  await expect(page).toHaveURL(/category=testing/);
  await expect(table.locator('tbody tr')).toHaveCount(1);
  await expect(table.getByRole('row', { name: /wave\.t1 wave 800 ms/ })).toBeVisible();
  await expect(page.getByRole('region', { name: 'Sample' }).getByRole('heading')).toHaveText(
    'wave.t1 (wave)',
  );
});
