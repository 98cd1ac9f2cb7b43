-- 0001_init: the tables the Store needs, one per key prefix of the sled store
-- (gateway/src/store/sled_store.rs). docs/POSTGRES.md explains every table and index.
-- Records the gateway only reads whole are jsonb (the serde JSON sled keeps); what is
-- searched, joined or constrained is a column of its own.

-- m/: a message's record (MessageMeta). id is handed out by the gateway's counter.
CREATE TABLE ketenpoort_messages (
    id             bigint  PRIMARY KEY CHECK (id > 0),
    tenant         text    NOT NULL,
    request_id     text    NOT NULL,
    kind           text    NOT NULL,
    agb            text    NOT NULL,
    municipality   text    NOT NULL,
    state          text    NOT NULL,
    accepted_at_ms bigint  NOT NULL,
    purged_at_ms   bigint,
    meta           jsonb   NOT NULL
);
-- The operator console and list_messages page a tenant's messages newest first.
CREATE INDEX ketenpoort_messages_tenant_id ON ketenpoort_messages (tenant, id);

-- x/: a message's XML, LZ4-compressed (stored_xml); the row goes when prune purges it.
CREATE TABLE ketenpoort_message_xml (
    message_id bigint PRIMARY KEY REFERENCES ketenpoort_messages (id),
    xml        bytea  NOT NULL
);

-- i/: the request_id index (idempotency), one row per tenant and request_id.
CREATE TABLE ketenpoort_request_ids (
    tenant       text  NOT NULL,
    request_id   text  NOT NULL,
    content_hash text  NOT NULL,
    record       jsonb NOT NULL,
    PRIMARY KEY (tenant, request_id)
);

-- c/: durable counters (message ids, Identificaties, sequences, the queue depth).
CREATE TABLE ketenpoort_counters (
    name  text   PRIMARY KEY,
    value bigint NOT NULL CHECK (value >= 0)
);

-- The event log's head: one row whose update hands out the next cursor. Its row lock
-- serialises appenders until they end, so cursors are visible in cursor order (events.rs).
CREATE TABLE ketenpoort_event_head (
    only_row    boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    last_cursor bigint  NOT NULL CHECK (last_cursor >= 0)
);
INSERT INTO ketenpoort_event_head (only_row, last_cursor) VALUES (true, 0);

-- e/: the event log. cursor is dense (1, 2, 3, ...) and ordered as the events became
-- visible. payload is the EventRecord as the gateway encodes it.
CREATE TABLE ketenpoort_events (
    cursor     bigint PRIMARY KEY CHECK (cursor > 0),
    tenant     text   NOT NULL,
    message_id bigint,
    payload    bytea  NOT NULL
);
-- A tenant's stream reads its own events after its cursor.
CREATE INDEX ketenpoort_events_tenant_cursor ON ketenpoort_events (tenant, cursor);
-- Retention finds the events of a conversation's messages.
CREATE INDEX ketenpoort_events_message ON ketenpoort_events (message_id)
    WHERE message_id IS NOT NULL;

-- a/: each tenant's acknowledged cursor.
CREATE TABLE ketenpoort_acks (
    tenant text   PRIMARY KEY,
    cursor bigint NOT NULL CHECK (cursor >= 0)
);

-- q/: the queue (outbox to VECOZO): a row while the message waits to be pushed.
CREATE TABLE ketenpoort_queue (
    message_id bigint PRIMARY KEY REFERENCES ketenpoort_messages (id)
);

-- o/: push identifiers minted once per message, and the attempts begun.
CREATE TABLE ketenpoort_outbox (
    message_id bigint PRIMARY KEY REFERENCES ketenpoort_messages (id),
    traceer_id uuid   NOT NULL UNIQUE,
    record     jsonb  NOT NULL
);

-- f/: delivered messages whose final VECOZO status is still awaited.
CREATE TABLE ketenpoort_follows (
    message_id bigint PRIMARY KEY REFERENCES ketenpoort_messages (id),
    record     jsonb  NOT NULL
);

-- w/: answers a sent message is still owed.
CREATE TABLE ketenpoort_expectations (
    message_id bigint  NOT NULL REFERENCES ketenpoort_messages (id),
    idx        integer NOT NULL CHECK (idx >= 0),
    record     jsonb   NOT NULL,
    PRIMARY KEY (message_id, idx)
);

-- d/: DeclaratieNummers used per AGB code (TR333): the key makes a second use impossible.
CREATE TABLE ketenpoort_declaration_numbers (
    agb        text   NOT NULL,
    number     text   NOT NULL,
    message_id bigint NOT NULL REFERENCES ketenpoort_messages (id),
    PRIMARY KEY (agb, number)
);

-- r/: received (collected) messages, by sequence; the XML inside record is emptied by prune.
CREATE TABLE ketenpoort_received (
    sequence bigint PRIMARY KEY CHECK (sequence > 0),
    after_id bigint NOT NULL CHECK (after_id >= 0),
    record   jsonb  NOT NULL
);

-- p/: quarantined payloads, bytes as downloaded.
CREATE TABLE ketenpoort_quarantine (
    sequence bigint PRIMARY KEY REFERENCES ketenpoort_received (sequence),
    payload  bytea  NOT NULL
);

-- t/: collected traceerIds: a redelivered message is stored once.
CREATE TABLE ketenpoort_traces (
    traceer_id uuid   PRIMARY KEY,
    sequence   bigint NOT NULL REFERENCES ketenpoort_received (sequence),
    cursor     bigint NOT NULL CHECK (cursor >= 0)
);

-- l/: leases (one collector per certificate). fencing_token grows with every new holder,
-- so that a holder that lost its lease cannot act on it.
CREATE TABLE ketenpoort_leases (
    name          text   PRIMARY KEY,
    holder        uuid   NOT NULL,
    fencing_token bigint NOT NULL CHECK (fencing_token > 0),
    until_ms      bigint NOT NULL
);

-- v/: the provider's own duties (302/320 by hand, 305/307 terms), keys as duties.rs makes them.
CREATE TABLE ketenpoort_duties (
    key   bytea PRIMARY KEY,
    value bytea NOT NULL
);

-- n/: the access log (NEN 7513), only ever added to.
CREATE TABLE ketenpoort_access_log (
    sequence bigint PRIMARY KEY CHECK (sequence > 0),
    entry    jsonb  NOT NULL
);

-- h/: the message history the cross-message rules read (index::Kv): point reads and
-- prefix scans in key order. bytea compares as unsigned bytes, as sled orders its keys.
CREATE TABLE ketenpoort_history (
    key   bytea PRIMARY KEY,
    value bytea NOT NULL
);
