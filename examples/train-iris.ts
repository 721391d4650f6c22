// Example: create a project, upload a CSV, train, follow progress and download the model, with the typed
// client from @trainhub/api. Run against a running platform (npm start) with an editor API key:
//   TRAINHUB_URL=http://localhost:3000 TRAINHUB_API_KEY=th_... npx tsx examples/train-iris.ts
// (create a key with: npm run admin -- create-api-key ...)
import { writeFileSync } from 'node:fs';
import { createClient } from '@trainhub/api/client';

const url = process.env.TRAINHUB_URL ?? 'http://localhost:3000';
const apiKey = process.env.TRAINHUB_API_KEY;
if (!apiKey) {
  console.error('set TRAINHUB_API_KEY to an editor API key');
  process.exit(1);
}

const csv = [
  'sepal_length,sepal_width,petal_length,petal_width,species',
  '5.1,3.5,1.4,0.2,setosa',
  '4.9,3.0,1.4,0.2,setosa',
  '7.0,3.2,4.7,1.4,versicolor',
  '6.4,3.2,4.5,1.5,versicolor',
  '6.3,3.3,6.0,2.5,virginica',
  '5.8,2.7,5.1,1.9,virginica',
].join('\n');
const architecture = {
  layers: [
    { type: 'dense', units: 16, activation: 'relu' },
    { type: 'dense', units: 3, activation: 'softmax' },
  ],
};

const client = createClient({ url, apiKey });
const project = await client.trpc.projects.create.mutate({ name: `iris ${new Date().toISOString()}` });
console.log(`project ${project.id}`);
const dataset = await client.uploadFile(project.id, 'iris.csv', csv);
const arch = await client.trpc.resources.uploadText.mutate({
  projectId: project.id,
  name: 'iris.architecture',
  content: JSON.stringify(architecture),
});
const { task, execution } = await client.trpc.tasks.train.mutate({
  projectId: project.id,
  architectureResourceId: arch.id,
  datasetResourceId: dataset.id,
  problemType: 'classification',
  modelName: 'iris',
  hyperparameters: { epochs: 20, batchSize: 4, learningRate: 0.01, testSize: 0.3 },
});
console.log(`task ${task.id}, execution ${execution!.id} queued`);

// Follow progress (polling the events query; with an EventSource implementation passed to createClient,
// client.trpc.executions.onProgress.subscribe streams the same events).
let afterSeq = 0;
for (;;) {
  const events = await client.trpc.executions.events.query({ executionId: execution!.id, afterSeq });
  for (const event of events) {
    afterSeq = event.seq;
    console.log(
      event.kind === 'EPOCH'
        ? `epoch ${event.epoch}: ${JSON.stringify(event.data)}`
        : `${event.kind.toLowerCase()}: ${event.message ?? ''}`,
    );
  }
  const state = await client.trpc.executions.get.query({ executionId: execution!.id });
  if (['COMPLETED', 'FAILED', 'STOPPED', 'CANCELLED'].includes(state.status)) {
    console.log(`finished: ${state.status}${state.error ? ` (${state.error})` : ''}`);
    if (state.modelResourceId) {
      const bytes = await client.download(project.id, state.modelResourceId);
      writeFileSync('iris-model.bin', bytes);
      console.log(`model saved to iris-model.bin (${bytes.length} bytes)`);
    }
    break;
  }
  await new Promise((resolve) => setTimeout(resolve, 1000));
}
