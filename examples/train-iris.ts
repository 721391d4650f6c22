// Example: create a project, upload a CSV, train, follow the progress and download the model, with the
// published client package, from a project of your own (no checkout of Trainhub needed):
//   npm install @trainhub/client        # or the tarball: npm install ./trainhub-client-0.1.0.tgz
//   TRAINHUB_URL=http://localhost:3000 TRAINHUB_API_KEY=th_... npx tsx train-iris.ts
// (an editor key: npm run admin -- create-api-key ... on the platform, or the Team page's API keys)
import { createClient, TrainhubError } from '@trainhub/client';

const url = process.env.TRAINHUB_URL ?? 'http://localhost:3000';
const apiKey = process.env.TRAINHUB_API_KEY;
if (!apiKey) {
  console.error('set TRAINHUB_API_KEY to an editor API key');
  process.exit(1);
}

// 24 rows of Fisher's iris data (8 per species).
const csv = `sepal_length,sepal_width,petal_length,petal_width,species
5.1,3.5,1.4,0.2,setosa
4.9,3.0,1.4,0.2,setosa
4.7,3.2,1.3,0.2,setosa
4.6,3.1,1.5,0.2,setosa
5.0,3.6,1.4,0.2,setosa
5.4,3.9,1.7,0.4,setosa
4.6,3.4,1.4,0.3,setosa
5.0,3.4,1.5,0.2,setosa
7.0,3.2,4.7,1.4,versicolor
6.4,3.2,4.5,1.5,versicolor
6.9,3.1,4.9,1.5,versicolor
5.5,2.3,4.0,1.3,versicolor
6.5,2.8,4.6,1.5,versicolor
5.7,2.8,4.5,1.3,versicolor
6.3,3.3,4.7,1.6,versicolor
4.9,2.4,3.3,1.0,versicolor
6.3,3.3,6.0,2.5,virginica
5.8,2.7,5.1,1.9,virginica
7.1,3.0,5.9,2.1,virginica
6.3,2.9,5.6,1.8,virginica
6.5,3.0,5.8,2.2,virginica
7.6,3.0,6.6,2.1,virginica
4.9,2.5,4.5,1.7,virginica
7.3,2.9,6.3,1.8,virginica
`;
// Hidden layers only: the training core adds the output head from the problem type (softmax over the
// species for classification), so the architecture does not end with one of its own.
const architecture = {
  layers: [
    { type: 'dense', units: 16, activation: 'relu' },
    { type: 'dense', units: 8, activation: 'relu' },
  ],
};

const client = createClient({ url, apiKey });
try {
  const project = await client.trpc.projects.create.mutate({ name: `iris ${new Date().toISOString()}` });
  console.log(`project ${project.id}`);
  const dataset = await client.uploadFile(project.id, 'iris.csv', csv); // client.uploadPath streams a file
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
    hyperparameters: { epochs: 20, batchSize: 4, learningRate: 0.01, testSize: 0.25 },
  });
  console.log(`task ${task.id}, execution ${execution!.id} queued`);

  // Live progress over the executions.onProgress subscription (Server-Sent Events), to the end of the run.
  const done = await client.followExecution(execution!.id, {
    onEvent: (event) =>
      console.log(
        event.kind === 'EPOCH'
          ? `epoch ${event.epoch}: ${JSON.stringify(event.data)}`
          : `${event.kind.toLowerCase()}: ${event.message ?? ''}`,
      ),
  });
  console.log(`finished: ${done.status}${done.error ? ` (${done.error})` : ''}`);
  console.log(`metrics: ${JSON.stringify(done.metrics)}`);
  if (done.modelResourceId) {
    const bytes = await client.downloadToFile(project.id, done.modelResourceId, 'iris-model.zip');
    console.log(`model saved to iris-model.zip (${bytes} bytes)`);
  }
  process.exitCode = done.status === 'COMPLETED' ? 0 : 1;
} catch (error) {
  // Every failure is a TrainhubError with the domain code: NOT_FOUND, FORBIDDEN, UNAUTHENTICATED, ...
  if (error instanceof TrainhubError) console.error(`${error.code} (${error.status}): ${error.message}`);
  else throw error;
  process.exitCode = 1;
}
