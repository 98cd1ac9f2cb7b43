-- 0003_writer: what the PgEngine (store/postgres/engine.rs) needs to run the store's one
-- writer on these tables, from several replicas at once. docs/POSTGRES.md, "The PgEngine".

-- One row whose update opens every writer group (and every write outside a group): its row
-- lock serialises the groups of all replicas, and its generation tells a replica whether
-- another one wrote since its own last group.
CREATE TABLE ketenpoort_writer (
    only_row   boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    generation bigint  NOT NULL CHECK (generation >= 0)
);
INSERT INTO ketenpoort_writer (only_row, generation) VALUES (true, 0);

-- The writer writes a message's rows in any order within a group (its XML before its
-- record, say): the foreign keys are checked at COMMIT instead of per statement.
ALTER TABLE ketenpoort_message_xml
    ALTER CONSTRAINT ketenpoort_message_xml_message_id_fkey DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ketenpoort_queue
    ALTER CONSTRAINT ketenpoort_queue_message_id_fkey DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ketenpoort_outbox
    ALTER CONSTRAINT ketenpoort_outbox_message_id_fkey DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ketenpoort_follows
    ALTER CONSTRAINT ketenpoort_follows_message_id_fkey DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ketenpoort_expectations
    ALTER CONSTRAINT ketenpoort_expectations_message_id_fkey DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ketenpoort_declaration_numbers
    ALTER CONSTRAINT ketenpoort_declaration_numbers_message_id_fkey DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ketenpoort_quarantine
    ALTER CONSTRAINT ketenpoort_quarantine_sequence_fkey DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE ketenpoort_traces
    ALTER CONSTRAINT ketenpoort_traces_sequence_fkey DEFERRABLE INITIALLY DEFERRED;

-- Text keys compare as bytes, as sled orders its keys (UTF-8 in byte order is code point
-- order, which the "C" collation gives whatever the database's default): the primary keys'
-- B-trees then serve the engine's ordered scans.
ALTER TABLE ketenpoort_request_ids
    ALTER COLUMN tenant TYPE text COLLATE "C",
    ALTER COLUMN request_id TYPE text COLLATE "C";
ALTER TABLE ketenpoort_counters ALTER COLUMN name TYPE text COLLATE "C";
ALTER TABLE ketenpoort_acks ALTER COLUMN tenant TYPE text COLLATE "C";
ALTER TABLE ketenpoort_leases ALTER COLUMN name TYPE text COLLATE "C";
ALTER TABLE ketenpoort_declaration_numbers
    ALTER COLUMN agb TYPE text COLLATE "C",
    ALTER COLUMN number TYPE text COLLATE "C";
