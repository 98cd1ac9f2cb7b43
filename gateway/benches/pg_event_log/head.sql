-- One event per transaction, cursor from the head row (store/postgres/events.rs), as pgbench runs it.
BEGIN;
WITH c AS (UPDATE kp_bench.ketenpoort_event_head SET last_cursor = last_cursor + 1 WHERE only_row RETURNING last_cursor)
INSERT INTO kp_bench.ketenpoort_events (cursor, tenant, payload) SELECT last_cursor, '12345678', '\x00' FROM c;
SELECT pg_notify('ketenpoort_events', '12345678');
COMMIT;
