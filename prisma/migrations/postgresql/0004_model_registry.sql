-- Using trained models: batch scorings and model tests (ModelJob) and the registry's deployed versions.
CREATE TYPE "ModelJobKind" AS ENUM ('SCORE', 'EVALUATE');

CREATE TABLE "ModelJob" (
    "id" SERIAL NOT NULL,
    "projectId" INTEGER NOT NULL,
    "kind" "ModelJobKind" NOT NULL,
    "status" "ExecutionStatus" NOT NULL DEFAULT 'QUEUED',
    "modelResourceId" INTEGER NOT NULL,
    "datasetResourceId" INTEGER NOT NULL,
    "resultResourceId" INTEGER,
    "progress" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "rowsDone" INTEGER NOT NULL DEFAULT 0,
    "result" JSONB,
    "error" TEXT,
    "createdById" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),
    "updatedAt" TIMESTAMP(3) NOT NULL,
    CONSTRAINT "ModelJob_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "ModelJob_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "ModelJob_projectId_modelResourceId_createdAt_idx" ON "ModelJob"("projectId", "modelResourceId", "createdAt");

CREATE TABLE "ModelDeployment" (
    "id" SERIAL NOT NULL,
    "projectId" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "modelResourceId" INTEGER NOT NULL,
    "deployedById" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    CONSTRAINT "ModelDeployment_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "ModelDeployment_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "ModelDeployment_projectId_name_key" ON "ModelDeployment"("projectId", "name");
CREATE INDEX "ModelDeployment_modelResourceId_idx" ON "ModelDeployment"("modelResourceId");
