-- Wakes idle trainers at once when an execution is queued (LISTEN trainhub_execution_queued), instead of
-- waiting for their next poll. PostgreSQL only; on SQLite trainers poll a small index.
CREATE OR REPLACE FUNCTION trainhub_notify_execution_queued() RETURNS trigger AS $$
BEGIN
  IF NEW."status" = 'QUEUED' THEN
    PERFORM pg_notify('trainhub_execution_queued', NEW."id"::text);
  END IF;
  RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER "Execution_notify_queued"
  AFTER INSERT OR UPDATE OF "status" ON "Execution"
  FOR EACH ROW EXECUTE FUNCTION trainhub_notify_execution_queued();
