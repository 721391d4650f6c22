import { Readable } from 'node:stream';
import { DomainError } from '@trainhub/api';
import { requireProject } from '@trainhub/api/services/access';
import { uploadResource } from '@trainhub/api/services/resources';
import { restDeps } from '@/server/deps';
import { idParam, withPrincipal } from '@/server/route-util';

export const dynamic = 'force-dynamic';

const KINDS = ['DATASET', 'ARCHITECTURE', 'CODE', 'MODEL', 'OTHER'] as const;

function originHost(origin: string): string | null {
  try {
    return new URL(origin).host;
  } catch {
    return null;
  }
}

/**
 * Upload of one file as the raw request body (`?name=`; optional `?kind=`), streamed into the artifact
 * store by the resources service: the browser's XHR reports upload progress on it.
 */
export async function POST(request: Request, context: { params: Promise<{ id: string }> }) {
  // Browsers send Origin on cross-site POSTs: refuse those outright (the session cookie is SameSite=Lax too).
  const origin = request.headers.get('origin');
  const host = request.headers.get('x-forwarded-host') ?? request.headers.get('host');
  if (origin && host && originHost(origin) !== host)
    return Response.json({ error: 'cross-site upload refused' }, { status: 403 });
  return withPrincipal(async (principal) => {
    const projectId = idParam((await context.params).id);
    const url = new URL(request.url);
    const name = url.searchParams.get('name')?.trim();
    if (!name) throw new DomainError('INVALID', 'the upload needs a file name');
    const kindRaw = url.searchParams.get('kind')?.toUpperCase();
    const kind = KINDS.find((k) => k === kindRaw);
    const deps = restDeps();
    const declared = Number(request.headers.get('content-length') ?? '0');
    if (declared > deps.uploadLimitBytes)
      throw new DomainError(
        'TOO_LARGE',
        `the file is larger than the upload limit of ${deps.uploadLimitBytes} bytes`,
      );
    // Checks the right to write before reading the body.
    await requireProject(deps.db, principal, projectId, 'EDITOR');
    if (!request.body) throw new DomainError('INVALID', 'the upload is empty');
    const body = Readable.fromWeb(request.body as never);
    const resource = await uploadResource(deps, principal, projectId, {
      name,
      contentType: request.headers.get('content-type'),
      body,
      ...(kind ? { kind } : {}),
    });
    return Response.json({ id: resource.id, name: resource.name, kind: resource.kind, size: resource.size });
  });
}
