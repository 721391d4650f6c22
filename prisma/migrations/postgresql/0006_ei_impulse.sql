-- Edge Impulse's impulse as sent (Project.impulse) and the learn block ids its clients choose (LearnBlock.blockId).
ALTER TABLE "Project" ADD COLUMN "impulse" JSONB;
ALTER TABLE "LearnBlock" ADD COLUMN "blockId" INTEGER;
CREATE UNIQUE INDEX "LearnBlock_projectId_blockId_key" ON "LearnBlock"("projectId", "blockId");
