-- Edge Impulse samples (ingestion service, raw-data): one time series of a project per row.
CREATE TABLE "Sample" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "projectId" INTEGER NOT NULL,
    "category" TEXT NOT NULL,
    "label" TEXT NOT NULL,
    "filename" TEXT NOT NULL,
    "intervalMs" REAL NOT NULL,
    "sensors" JSONB NOT NULL,
    "values" JSONB NOT NULL,
    "valuesCount" INTEGER NOT NULL,
    "metadata" JSONB,
    "sha256Hash" TEXT NOT NULL,
    "deviceName" TEXT,
    "deviceType" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Sample_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "Sample_projectId_category_label_idx" ON "Sample"("projectId", "category", "label");
CREATE INDEX "Sample_projectId_sha256Hash_idx" ON "Sample"("projectId", "sha256Hash");
