'use client';
import dynamic from 'next/dynamic';
import 'swagger-ui-react/swagger-ui.css';

// Swagger UI renders the OpenAPI document with schemas and examples; loaded only when opened (it is large).
const SwaggerUI = dynamic(() => import('swagger-ui-react'), {
  ssr: false,
  loading: () => <p className="p-3 text-sm text-slate-500">Loading the reference…</p>,
});

export function OpenApiViewer({ url }: { url: string }) {
  return (
    <div
      className="overflow-x-auto rounded-lg border border-slate-200 bg-white text-slate-900"
      data-testid="openapi-viewer"
    >
      <SwaggerUI url={url} docExpansion="list" defaultModelsExpandDepth={0} deepLinking={false} />
    </div>
  );
}
