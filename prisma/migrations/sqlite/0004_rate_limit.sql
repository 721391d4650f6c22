-- Failed password checks counted per account + client IP and per client IP (rate-limiter-flexible's
-- RateLimiterPrisma store), shared by every web instance.
CREATE TABLE "RateLimit" (
    "key" TEXT NOT NULL PRIMARY KEY,
    "points" INTEGER NOT NULL,
    "expire" DATETIME
);
CREATE INDEX "RateLimit_expire_idx" ON "RateLimit"("expire");
