// A minimal MLW-style client, as an existing Machine Learning Workbench client would call the platform.
export class MlwClient {
  constructor(
    private readonly baseUrl: string,
    private readonly authorization: string,
  ) {}

  static basic(baseUrl: string, user: string, password: string): MlwClient {
    return new MlwClient(baseUrl, `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`);
  }

  private async call<T>(
    method: string,
    path: string,
    body?: string | FormData,
    contentType?: string,
  ): Promise<T> {
    const response = await fetch(`${this.baseUrl}/service/mlw${path}`, {
      method,
      headers: { authorization: this.authorization, ...(contentType ? { 'content-type': contentType } : {}) },
      ...(body !== undefined ? { body } : {}),
      signal: AbortSignal.timeout(20_000),
    });
    const text = await response.text();
    if (!response.ok) throw new HttpError(response.status, text);
    return JSON.parse(text) as T;
  }

  createProject(name: string) {
    return this.call<{ id: string }>(
      'POST',
      '/projects',
      JSON.stringify({ name, description: 'prove' }),
      'application/json',
    );
  }

  /** Uploads a file; MLW answers the project with its files by group, the upload is the newest of its name. */
  async upload(projectId: string, name: string, content: string): Promise<{ id: string }> {
    const form = new FormData();
    form.append('file', new Blob([content]), name);
    const project = await this.call<{ resources: Record<string, { id: string; name: string }[]> }>(
      'POST',
      `/projects/${projectId}/resources`,
      form,
    );
    const file = Object.values(project.resources)
      .flat()
      .filter((r) => r.name === name)
      .sort((a, b) => parseInt(b.id) - parseInt(a.id))[0];
    if (!file) throw new HttpError(200, `the upload ${name} is not in the answer`);
    return file;
  }

  /** The seed's clients send the JSON body as text/plain. */
  trainNN(projectId: string, architectureId: string, body: Record<string, unknown>) {
    return this.call<{ id: string }>(
      'POST',
      `/projects/${projectId}/resources/${architectureId}/trainNN`,
      JSON.stringify(body),
      'text/plain',
    );
  }
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`HTTP ${status}: ${body.slice(0, 200)}`);
  }
}
