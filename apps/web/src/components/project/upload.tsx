'use client';
import { UploadCloud } from 'lucide-react';
import { useRouter } from 'next/navigation';
import { useRef, useState } from 'react';
import { cn, formatBytes } from '@/lib/utils';

interface Item {
  name: string;
  size: number;
  progress: number;
  error?: string;
  done?: boolean;
}

/** Drag-and-drop (or pick) upload: each file is POSTed as the raw body, with an XHR progress bar. */
export function UploadZone({ projectId }: { projectId: number }) {
  const router = useRouter();
  const input = useRef<HTMLInputElement>(null);
  const [over, setOver] = useState(false);
  const [items, setItems] = useState<Item[]>([]);

  function update(index: number, patch: Partial<Item>) {
    setItems((list) => list.map((item, i) => (i === index ? { ...item, ...patch } : item)));
  }

  function upload(file: File, index: number) {
    return new Promise<void>((resolve) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', `/api/ui/projects/${projectId}/resources?name=${encodeURIComponent(file.name)}`);
      xhr.setRequestHeader('content-type', file.type || 'application/octet-stream');
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable) update(index, { progress: e.loaded / e.total });
      };
      xhr.onload = () => {
        if (xhr.status >= 200 && xhr.status < 300) update(index, { progress: 1, done: true });
        else {
          let message = `upload failed (${xhr.status})`;
          try {
            message = (JSON.parse(xhr.responseText) as { error?: string }).error ?? message;
          } catch {
            // keep the status message
          }
          update(index, { error: message });
        }
        resolve();
      };
      xhr.onerror = () => {
        update(index, { error: 'the connection failed' });
        resolve();
      };
      xhr.send(file);
    });
  }

  async function start(files: FileList | File[]) {
    const list = [...files];
    if (list.length === 0) return;
    const offset = items.length;
    setItems((current) => [...current, ...list.map((f) => ({ name: f.name, size: f.size, progress: 0 }))]);
    await Promise.all(list.map((file, i) => upload(file, offset + i)));
    router.refresh();
  }

  return (
    <div className="relative flex flex-col gap-3">
      <div
        role="button"
        tabIndex={0}
        data-testid="dropzone"
        onClick={() => input.current?.click()}
        onKeyDown={(e) => {
          if (e.key === 'Enter' || e.key === ' ') {
            e.preventDefault();
            input.current?.click();
          }
        }}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          setOver(false);
          void start(e.dataTransfer.files);
        }}
        className={cn(
          'flex cursor-pointer flex-col items-center gap-2 rounded-xl border-2 border-dashed p-6 text-center text-sm transition-colors focus-visible:ring-2 focus-visible:ring-indigo-500 focus-visible:outline-none',
          over
            ? 'border-indigo-500 bg-indigo-50 dark:bg-indigo-950'
            : 'border-slate-300 dark:border-slate-700',
        )}
      >
        <UploadCloud className="size-6 text-slate-400" aria-hidden />
        <span>
          <strong>Drop files here</strong> or click to choose. CSV/JSON become datasets,{' '}
          <code>.architecture</code> files architectures.
        </span>
      </div>
      {/* Outside the drop zone: a control inside a role="button" is nested-interactive (axe). */}
      <input
        ref={input}
        type="file"
        multiple
        className="sr-only"
        data-testid="file-input"
        tabIndex={-1}
        aria-label="Choose files to upload"
        onChange={(e) => {
          if (e.target.files) void start(e.target.files);
          e.target.value = '';
        }}
      />
      {items.length > 0 ? (
        <ul className="flex flex-col gap-2" aria-label="Uploads">
          {items.map((item, i) => (
            <li key={i} className="text-sm">
              <div className="flex justify-between gap-2">
                <span className="truncate">{item.name}</span>
                <span className="text-xs text-slate-500">
                  {item.error ? '' : item.done ? 'uploaded' : `${Math.round(item.progress * 100)}%`} ·{' '}
                  {formatBytes(item.size)}
                </span>
              </div>
              <div
                role="progressbar"
                aria-label={`Upload of ${item.name}`}
                aria-valuemin={0}
                aria-valuemax={100}
                aria-valuenow={Math.round(item.progress * 100)}
                className="mt-1 h-1.5 overflow-hidden rounded bg-slate-200 dark:bg-slate-800"
              >
                <div
                  className={cn('h-full transition-all', item.error ? 'bg-red-500' : 'bg-indigo-600')}
                  style={{ width: `${Math.round(item.progress * 100)}%` }}
                />
              </div>
              {item.error ? (
                <p role="alert" className="mt-1 text-xs text-red-600">
                  {item.error}
                </p>
              ) : null}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
