-- A password change ends the sessions and tokens issued before it (User.passwordChangedAt).
ALTER TABLE "User" ADD COLUMN "passwordChangedAt" DATETIME;
