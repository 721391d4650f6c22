import { Readable } from 'node:stream';
import { openResource } from '@trainhub/api/services/resources';
import { restDeps } from '@/server/deps';
import { idParam, withPrincipal } from '@/server/route-util';

export const dynamic = 'force-dynamic';

/** Download of a resource (a dataset, an architecture, a trained model zip). */
export async function GET(_request: Request, context: { params: Promise<{ id: string; rid: string }> }) {
  return withPrincipal(async (principal) => {
    const params = await context.params;
    const { resource, stream } = await openResource(
      restDeps(),
      principal,
      idParam(params.id),
      idParam(params.rid),
    );
    const fileName = resource.name.replace(/["\\\r\n]/g, '_');
    return new Response(Readable.toWeb(stream) as ReadableStream, {
      headers: {
        'content-type': resource.contentType || 'application/octet-stream',
        'content-length': String(resource.size),
        'content-disposition': `attachment; filename="${fileName}"; filename*=UTF-8''${encodeURIComponent(resource.name)}`,
        'x-content-type-options': 'nosniff',
      },
    });
  });
}
