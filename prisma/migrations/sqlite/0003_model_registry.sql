-- Using trained models: batch scorings and model tests (ModelJob) and the registry's deployed versions.
CREATE TABLE "ModelJob" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "projectId" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'QUEUED',
    "modelResourceId" INTEGER NOT NULL,
    "datasetResourceId" INTEGER NOT NULL,
    "resultResourceId" INTEGER,
    "progress" REAL NOT NULL DEFAULT 0,
    "rowsDone" INTEGER NOT NULL DEFAULT 0,
    "result" JSONB,
    "error" TEXT,
    "createdById" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" DATETIME,
    "finishedAt" DATETIME,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "ModelJob_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "ModelJob_projectId_modelResourceId_createdAt_idx" ON "ModelJob"("projectId", "modelResourceId", "createdAt");

CREATE TABLE "ModelDeployment" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "projectId" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "modelResourceId" INTEGER NOT NULL,
    "deployedById" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "ModelDeployment_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "ModelDeployment_projectId_name_key" ON "ModelDeployment"("projectId", "name");
CREATE INDEX "ModelDeployment_modelResourceId_idx" ON "ModelDeployment"("modelResourceId");
