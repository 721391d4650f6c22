import { openApiDocument, openApiStyles, type OpenApiStyleName } from '@trainhub/api/openapi';

export const dynamic = 'force-dynamic';

/** GET /api/openapi/{mlw,edge-impulse,training-module}.json */
export async function GET(_request: Request, context: { params: Promise<{ style: string }> }) {
  const { style } = await context.params;
  const name = style.replace(/\.json$/, '');
  if (!style.endsWith('.json') || !(name in openApiStyles)) {
    return Response.json(
      { error: 'unknown document: use mlw.json, edge-impulse.json or training-module.json' },
      { status: 404 },
    );
  }
  return Response.json(openApiDocument(name as OpenApiStyleName));
}
