-- The event log's head row against a naive bigserial log (docs/PERFORMANCE.md, "PostgreSQL event log").
-- Makes schema kp_bench in the database it runs in; drop it afterwards.
DROP SCHEMA IF EXISTS kp_bench CASCADE;
CREATE SCHEMA kp_bench;
SET search_path = kp_bench;
CREATE TABLE ketenpoort_event_head (only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row), last_cursor bigint NOT NULL);
INSERT INTO ketenpoort_event_head VALUES (true, 0);
CREATE TABLE ketenpoort_events (cursor bigint PRIMARY KEY, tenant text NOT NULL, message_id bigint, payload bytea NOT NULL);
CREATE INDEX ON ketenpoort_events (tenant, cursor);
CREATE TABLE naive_events (id bigserial PRIMARY KEY, tenant text NOT NULL, payload bytea NOT NULL);
CREATE INDEX ON naive_events (tenant, id);
