//! # The ketenpoort manual: decisions that are not visible in a type
//!
//! ## Durability
//!
//! A submit answers OK only after its record (messages, XML, request_id entry, counters) is
//! flushed by the store ([`crate::store`]). Concurrent submits share one flush (group
//! commit): one writer thread takes every waiting write, applies each atomically, flushes
//! once and then answers all of them.
//!
//! What a flush of sled 0.34 guarantees, honestly:
//!
//! - **Process crash** (kill -9, panic, OOM kill): everything that was answered OK survives.
//!   `gateway/tests/it/crash.rs` shows it: `ketenpoort serve` is killed with SIGKILL during a
//!   burst from 32 clients at six seeded moments, and after each restart every submit that
//!   was answered OK is there exactly once, no refused one is, and the event log and the
//!   acknowledged cursor are intact. A submit cut off by the crash has an unknown outcome:
//!   its retry with the same request_id answers with the stored message if it landed, and
//!   stores it if not.
//! - **What others see before the flush.** A retry that finds its request_id already applied
//!   but not yet flushed waits for the flush before it answers, and StreamReturns sends only
//!   flushed events, so no client is told about something a crash could take back.
//! - **Power loss or kernel crash: not guaranteed.** sled 0.34 flushes with
//!   `sync_file_range`, which does not force the file system's metadata or the disk's write
//!   cache to stable storage. Run ketenpoort on storage with a battery-backed or
//!   power-loss-protected write cache, or accept that the last moments before a power loss
//!   may be lost; clients then resend with the same request_id and get a new message.
//! - **A store that does not open.** sled 0.34 has open reports of databases that fail to
//!   open after a crash. ketenpoort then refuses to start with an error that names the path
//!   and says what is wrong: *in use* (another process holds sled's lock), *no permission*
//!   (also a read-only file system), *missing* (no store, or one that lost its `db`) or
//!   *damaged*. It does not repair or remove the store, and a store not closed cleanly is
//!   first opened on a copy, so that a failed open writes nothing ([`crate::store::open`]);
//!   a store larger than `[store] verify_copy_max_mb` (default 1024) is not copied but
//!   opened in place with a warning, so that a restart after a crash does not copy gigabytes.
//!   Keep backups and restore from one: `ketenpoort backup --data-dir DIR TARGET` copies the
//!   store into a new directory that a gateway can serve from (restore: stop the gateway,
//!   move DIR aside, copy TARGET to DIR); `ketenpoort export --data-dir DIR` writes every
//!   message (with its XML), every event, every received message and every quarantined
//!   payload (hex) as JSON lines. Both need the gateway stopped
//!   (sled allows one process per store), never create a store, and read a store they cannot
//!   write from a private temporary copy; online backups are not built yet.
//! - **Creating a store is explicit.** `ketenpoort serve --init` creates the store on its
//!   first start (dev mode does so on a new directory by itself); it carries an identity
//!   marker (`KETENPOORT-STORE`: its id and creation time, the id also inside `db`). Without
//!   `--init`, `serve` refuses a directory without a store; with or without it, a store that
//!   lost its `db` (or whose `db` is empty or another store's) is refused with how to restore
//!   it, never replaced by an empty one.
//! - **A full disk.** Before each group commit the writer checks that 16 MiB plus twice the
//!   group's size are free on the store's file system; otherwise the writes are refused
//!   (UNAVAILABLE, nothing applied), `/readyz` answers 503 with the reason, reads go on, and
//!   writing resumes by itself once there is space. A write that fails anyway (another
//!   process filled the disk in between) keeps writes refused until a restart, because sled
//!   keeps that error ([`crate::store::write_guard`]).
//!
//! The store sits behind the narrow [`crate::store::Store`] trait so that a deployment that
//! needs more (power-loss safety, several nodes) can move to an existing engine.
//! `ketenpoort migrate --from <data dir> --to <postgres url>` (and back, `--from <url> --to
//! <dir>`) copies a stopped store into an empty PostgreSQL database (or sled store) and
//! verifies it per key prefix with a count and a SHA-256; see docs/POSTGRES.md. With
//! `[store] backend = "postgres"` the store is a PostgreSQL database that several gateways
//! share: a submit is answered after its transaction committed (`synchronous_commit`), and
//! the database's own durability and replication apply (docs/REPLICAS.md).
//!
//! ## Retention and `ketenpoort prune`
//!
//! The store keeps the XML of every message it sent or received, and the XML holds personal
//! data (BSN, names, addresses, birth dates). `[store.retention] xml_years` (default 7, as
//! fiscal law asks for financial records) says how long; `ketenpoort prune` purges what is
//! past it. Prune is offline: it opens the data directory itself, so the gateway must be
//! stopped (sled's lock refuses a store in use, with that reason).
//!
//! - **What is purged**: a *conversation* — a message sent and every message and event
//!   correlated with it (a 323 and its 325, a 315 and its 316, a collected 301 and the 302
//!   ketenpoort queued on it) — once all of it is finished and old. Finished: nothing of it
//!   queued (`q/`), followed for its VECOZO status (`f/`), owed an answer (`w/`: the
//!   expectation is removed when the answer comes or when the deadline check reports it
//!   missed), or owed by the provider (`v/r/` a 302/320, `v/s/` an awaited 307, `v/l/` a late
//!   305/307 still to report). Old: its *age* — the latest of every acceptance, event,
//!   Dagtekening, claimed period end (DeclaratiePeriode) and allocated product end in it,
//!   rounded up to the end of its calendar year — plus `xml_years` has ended. An allocation
//!   without Einddatum is still in force: its conversation is never purged. Each 305 and 307
//!   is a conversation of its own (with its 306/308); the allocation it starts is not joined
//!   to it, because no rule reads a purged XML (below).
//! - **What stays**: the message record (`m/`: kind, AGB code, municipality, Identificatie,
//!   DeclaratieNummer, request_id, state, meldingen, event cursors) with `purged_at_ms`, the
//!   received record (`r/`) with an empty XML and `purged_at_ms`, every event (`e/`) without
//!   its XML and without the Bsn of a 301, so cursors and answers stay as they were.
//!   GetMessage and ListMessages answer with an empty `xml` and `xml_purged_at`; `ketenpoort
//!   status` and the console show the date; a purged message cannot be resent. The
//!   DeclaratieNummers (`d/`, TR333) and request_ids (`i/`) stay, so neither can be used
//!   again, and so do the traceerIds (`t/`, `o/`).
//! - **The rules that look back keep working**: they read the history indexes (`h/`), which
//!   prune does not touch, never the XML. The furthest look-back is TR335: a claim line's
//!   ProductPeriode may end up to five years before the DeclaratieDagtekening (so a credit may
//!   name a line of five years ago, and TR314 must still know its ReferentieNummer). An
//!   `xml_years` below 5 is refused when the configuration loads, naming TR335.
//! - **What is not purged yet**: the history indexes hold BSNs in some keys and values
//!   (`h/A/`, `h/C/`, `h/e/`, the allocation and claim records) for as long as the store
//!   lives, and the access log (`n/`, NEN 7513) keeps the BSNs it logged. Purging those needs
//!   a horizon of its own beyond every rule's (a later `[store.retention]` key).
//! - **Every key of the store, its personal data and what prune does** (the prefixes of
//!   `store::sled_store`):
//!
//!   | key | personal data | prune |
//!   |---|---|---|
//!   | `x/` XML sent | yes: BSN, name, address, birth date | removed |
//!   | `r/` received | yes: the XML | XML emptied, `purged_at_ms` set, the record stays |
//!   | `p/` quarantined payloads | may be | removed |
//!   | `e/` events | yes: `raw_xml`, the Bsn of a 301 (Allocation) | both emptied, the event stays |
//!   | `m/` message records | no (AGB, gemeente, Identificatie, request_id) | kept, `purged_at_ms` set |
//!   | `h/` history indexes | yes: BSN in `h/A/`, `h/C/`, `h/e/` keys and in allocation and claim records | kept (the rules read them) |
//!   | `n/` access log | yes: the BSNs shown | kept (NEN 7513) |
//!   | `i/`, `d/`, `t/`, `o/`, `q/`, `f/`, `w/`, `v/`, `a/`, `c/`, `l/`, `z/` | no | kept |
//!
//! - **`--dry-run`** lists what would go — per record `message ID KIND accepted DATE age
//!   DATE events N` or `received SEQUENCE KIND age DATE`, never a BSN or name — and the
//!   total, and changes nothing.
//! - **`--archive FILE`** appends every record of a batch, as it was, to FILE in the format
//!   of `ketenpoort export` (JSON lines: `message` with its XML, `received`, `event`,
//!   `payload` for a quarantined payload in hex) and syncs it before the batch is purged. The
//!   file holds personal data (mode 0600). A run stopped between the sync and the purge
//!   writes that batch again on its rerun (take the last line per key); a line a stop cut
//!   off is cut away when the next run opens the file (its batch was not purged yet). A
//!   FILE that is not a regular file, or does not read as such an archive (its first line,
//!   or its cut-off last line, not beginning `{"type":"`), is refused and left untouched:
//!   a mistyped path never cuts another file.
//! - **Kill safety**: each batch (`--batch N` records, never splitting a conversation) is one
//!   atomic sled batch followed by a flush. A prune killed at any moment (`kill -9`) leaves
//!   every conversation untouched or wholly purged — never an XML without its record, nor an
//!   event that still holds what its message lost — and the store opens normally; a rerun
//!   finishes the job and ends as an uninterrupted run would (`gateway/tests/it/prune.rs` kills
//!   it at several batches and compares). Progress goes to stderr after each batch.
//! - **Memory**: the plan holds one small entry per message and received record (ids, kind,
//!   dates, event cursors) while prune runs; see docs/PERFORMANCE.md for figures.
//! - **Dev mode**: with a dev configuration, prune runs on the gateway's clock moved by
//!   `[server] dev_clock_offset_days`, so a dev store ages as its gateway sees it.
//!
//! A second store backend provides the same: see [`crate::store`].
//!
//! ## Tenants
//!
//! See [`crate::tenant`]: a tenant authenticates by API token (`authorization: Bearer`) or
//! by mTLS client certificate, may act for a configured set of AGB codes, and sees only
//! messages and events of those codes. Acting for another AGB code is PERMISSION_DENIED,
//! which is what VECOZO would answer later with BRS03.
//!
//! ## Connections
//!
//! See [`crate::listen`]. The gRPC listener holds at most `[server] max_connections`
//! (default 1024, lowered at start to the open-files limit less 64 and the admin
//! connections). A new connection has `handshake_timeout_secs` (default 10) for its TLS
//! handshake and the HTTP/2 preface, and is closed after `idle_timeout_secs` (default 300; 0:
//! never) without a call in progress; a return stream is a call in progress. HTTP/2
//! keepalive pings every `keepalive_interval_secs` (60) close a connection whose peer does not
//! answer within `keepalive_timeout_secs` (20). When the limit is reached, or `accept` fails
//! for want of file descriptors, the oldest connection still in its handshake is closed to
//! make room, so idle or half-open connections cannot keep real clients out; accept errors
//! are retried after 10 ms to 1 s, never in a busy loop. The admin endpoint keeps at most
//! `admin_max_connections` (64) and closes one after `handshake_timeout_secs` without a byte.
//! `gateway/tests/slow_loris.rs` attempts 5,000 idle and half-preface connections against the
//! binary under a 256 open-files limit while grpc.health.v1 keeps answering SERVING.
//!
//! ## Idempotency (AIP-155)
//!
//! Every submit carries a client-chosen `request_id`, scoped to the tenant. The store keeps
//! `request_id → (SHA-256 of the request, message ids)` in the same atomic write as the
//! messages:
//!
//! - the same request_id with the same content (a retry) answers with the original
//!   response (the same message ids, Identificatie, XML), and nothing new is queued;
//! - the same request_id with other content is refused with **ALREADY_EXISTS**: the id is
//!   taken by another request. (FAILED_PRECONDITION is kept for cross-message rules, so a
//!   client can tell "fix your message" from "pick a new request_id".)
//! - `validate_only` requests are never recorded, so they may reuse any request_id.
//!
//! Two concurrent submits with one request_id are decided by the single store writer: one
//! is stored, the other gets the first one's response (or ALREADY_EXISTS).
//!
//! ## Refusals with many violations
//!
//! A message can break thousands of rules (a claim with 20,000 identical lines). The error
//! trailers stay under 8 KiB so that every common client reads them (grpcio stops at 16
//! KiB): the `google.rpc.BadRequest` lists the first violations that fit, and the total is in
//! the message and in a `google.rpc.ErrorInfo` (reason `VIOLATIONS`, metadata `total`). The
//! SDKs and the CLI show the total; none of them sends a refused request again.
//!
//! ## Cross-message rules
//!
//! Every submit is checked against the messages sent and received before
//! ([`ketenpoort_messages::rules::cross::check_against`] over [`crate::store::history`]):
//! a claim against its allocations and earlier claims, a start or stop of care against the
//! allocation and earlier starts and stops, a request against open requests. A broken rule is
//! FAILED_PRECONDITION with BadRequest field violations, like the in-message rules but with
//! a different code, so a client can tell "this message is wrong" (INVALID_ARGUMENT) from
//! "this message does not fit what was sent before".
//!
//! The store's writer checks just before storing (the handler, for `validate_only`), so of
//! two concurrent submits that conflict (one ReferentieNummer twice), only the first is
//! stored. The history knows only what went through this gateway:
//! allocations received elsewhere make claims fail TR338. Until the returns processing
//! records incoming 301s, or for a provider moving to ketenpoort, `messages.cross_message_rules
//! = false` turns the check off; the municipality checks the same rules in any case.
//!
//! ## Numbers ketenpoort assigns
//!
//! Identificatie (unique per message type per AGB code, BRS20) and DeclaratieNummer (unique
//! per AGB code, TR333) come from durable counters, written in the same atomic write as the
//! message that uses them; a number whose submit never landed may be handed out again, but
//! then it was never sent. Both are the configured prefix (default `KP`) and zero-padded
//! digits, 12 characters.
