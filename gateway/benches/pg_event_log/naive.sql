-- One event per transaction, cursor from a bigserial: the naive log, for comparison.
BEGIN;
INSERT INTO kp_bench.naive_events (tenant, payload) VALUES ('12345678', '\x00');
SELECT pg_notify('ketenpoort_events', '12345678');
COMMIT;
