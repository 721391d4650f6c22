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

  upload(projectId: string, name: string, content: string) {
    const form = new FormData();
    form.append('file', new Blob([content]), name);
    return this.call<{ id: string }>('POST', `/projects/${projectId}/resources`, form);
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
