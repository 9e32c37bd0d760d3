-- The floor of the PostgreSQL concurrency benchmark: the statements one Teller posting sends (a teller's
-- `instructions.submit`, then a supervisor's `instructions.approve`), in the same order and the same two
-- transactions, run by pgbench's C client with prepared statements. No Python, no SQLAlchemy, no HMAC: the
-- audit rows carry fixed hashes, so this script runs only on a throwaway copy of a bench ledger.
--
-- Variables (pgbench -D): first, last (the customer accounts' id range), hot (the shared hot account),
-- branch, maker, checker, day (the branch's open business date). Amounts are one minor unit, so no posting
-- is refused for funds: the cost of a statement does not depend on the amount.
-- tests/test_bench_smoke.py checks that these statements follow Teller's own, statement for statement.
\set a random(:first, :last)
\set b random(:first, :last)
\if :a = :b
\set b :first + (:b - :first + 1) % (:last - :first + 1)
\endif
\set pick random(1, 20)
\if :pick = 1
\set a :hot
\elif :pick = 2
\set b :hot
\endif
\set key random(1, 1000000000000000)
BEGIN;
SELECT branch.id, branch.code, branch.name, branch.is_head_office, branch.business_date, branch.day_open FROM branch WHERE branch.id = (:branch)::integer;
SELECT instruction.id, instruction.kind, instruction.status, instruction.branch_id, instruction.business_date, instruction.maker_id, instruction.checker_id, instruction.second_checker_id, instruction.required_checkers, instruction.currency, instruction.amount, instruction.narrative, instruction.payload, instruction.payload_hash, instruction.idempotency_key, instruction.terminal, instruction.created_at, instruction.expires_at, instruction.decided_at, instruction.reason FROM instruction WHERE instruction.idempotency_key = 'floor-' || (:key)::bigint::text;
SELECT account.id, account.number, account.currency, account.status, account.normal_side, account.no_negative, account.balance, account.held FROM account WHERE account.id IN ((:a)::bigint, (:b)::bigint) ORDER BY account.id FOR UPDATE;
SELECT approval_limit.id, approval_limit.kind, approval_limit.role, approval_limit.level, approval_limit.currency, approval_limit.single_limit, approval_limit.joint_limit FROM approval_limit WHERE approval_limit.currency = 'CNY' AND approval_limit.kind IN ('transfer', '*');
INSERT INTO instruction (kind, status, branch_id, business_date, maker_id, checker_id, second_checker_id, required_checkers, currency, amount, narrative, payload, payload_hash, idempotency_key, terminal, created_at, expires_at, decided_at, reason) VALUES ('transfer', 'PENDING', (:branch)::integer, (:day)::date, (:maker)::integer, NULL, NULL, 1, 'CNY', 1, 'bench transfer', '{"amount": 1, "branch": 1, "business_date": "2026-11-24", "currency": "CNY", "kind": "transfer", "legs": [["' || (SELECT number FROM account WHERE id = (:a)::bigint) || '", 1, 0], ["' || (SELECT number FROM account WHERE id = (:b)::bigint) || '", 0, 1]], "maker": 1, "narrative": "bench transfer", "reverses_entry": null}', 'b617b88ad6f907c82f61f9e83fb7fcf3c65c10ea7c0bd2f88359dbd568efdf85', 'floor-' || (:key)::bigint::text, 'floor', now(), now() + interval '8 hours', NULL, NULL) RETURNING instruction.id AS instruction_id
\gset
INSERT INTO hold (instruction_id, account_id, amount, status, created_at, released_at) VALUES ((:instruction_id)::bigint, (:a)::bigint, 1, 'ACTIVE', now(), NULL) RETURNING hold.id;
SELECT audit_head.seq AS seq FROM audit_head WHERE audit_head.id = 1 FOR UPDATE
\gset
INSERT INTO audit_event (seq, occurred_at, business_date, branch_id, staff_id, role, terminal, action, object_type, object_id, detail, prev_hash, row_hash) VALUES ((:seq)::bigint + 1, now(), (:day)::date, (:branch)::integer, (:maker)::integer, 'teller', 'floor', 'instruction.created', 'instruction', (:instruction_id)::bigint::text, '{"amount": 1, "currency": "CNY", "kind": "transfer", "legs": [["6222000200000000018", 1, 0], ["6222000100000000028", 0, 1]], "payload_hash": "b617b88ad6f907c82f61f9e83fb7fcf3c65c10ea7c0bd2f88359dbd568efdf85", "required_checkers": 1}', '232aac81ac84cbd34da9a60ea839ce88aa51e0f1297cdff252e49d3aa41de77d', '5aeeab71bba497cf9e5b8f8f0db39e1bd1b01805a1244d98d1a745ed46eceb56');
UPDATE audit_head SET seq = (:seq)::bigint + 1, row_hash = '5aeeab71bba497cf9e5b8f8f0db39e1bd1b01805a1244d98d1a745ed46eceb56', head_mac = 'df74b3ee12da069ef5ca9fa7f0dd085e27370403f63a2cacecd712d504dc3dd7' WHERE audit_head.id = 1;
COMMIT;
BEGIN;
SELECT instruction.id, instruction.kind, instruction.status, instruction.branch_id, instruction.business_date, instruction.maker_id, instruction.checker_id, instruction.second_checker_id, instruction.required_checkers, instruction.currency, instruction.amount, instruction.narrative, instruction.payload, instruction.payload_hash, instruction.idempotency_key, instruction.terminal, instruction.created_at, instruction.expires_at, instruction.decided_at, instruction.reason FROM instruction WHERE instruction.id = (:instruction_id)::bigint FOR UPDATE;
SELECT approval_limit.id, approval_limit.kind, approval_limit.role, approval_limit.level, approval_limit.currency, approval_limit.single_limit, approval_limit.joint_limit FROM approval_limit WHERE approval_limit.currency = 'CNY' AND approval_limit.kind IN ('transfer', '*');
UPDATE instruction SET status = 'APPROVED', checker_id = (:checker)::integer, decided_at = now() WHERE instruction.id = (:instruction_id)::bigint;
SELECT account.id, account.number, account.currency, account.status, account.normal_side, account.no_negative, account.balance, account.held FROM account WHERE account.id IN ((:a)::bigint, (:b)::bigint) ORDER BY account.id FOR UPDATE;
UPDATE hold SET status = 'CONSUMED', released_at = now() WHERE hold.instruction_id = (:instruction_id)::bigint AND hold.status = 'ACTIVE';
SELECT nextval('journal_entry_id_seq') AS entry_id
\gset
INSERT INTO posting (entry_id, account_id, currency, debit, credit) VALUES ((:entry_id)::bigint, (:a)::bigint, 'CNY', 1, 0);
INSERT INTO posting (entry_id, account_id, currency, debit, credit) VALUES ((:entry_id)::bigint, (:b)::bigint, 'CNY', 0, 1);
INSERT INTO journal_entry (id, instruction_id, branch_id, business_date, posted_at, narrative, reverses_entry_id) VALUES ((:entry_id)::bigint, (:instruction_id)::bigint, (:branch)::integer, (:day)::date, now(), 'bench transfer', NULL);
SELECT audit_head.seq AS seq FROM audit_head WHERE audit_head.id = 1 FOR UPDATE
\gset
INSERT INTO audit_event (seq, occurred_at, business_date, branch_id, staff_id, role, terminal, action, object_type, object_id, detail, prev_hash, row_hash) VALUES ((:seq)::bigint + 1, now(), (:day)::date, (:branch)::integer, (:checker)::integer, 'supervisor', 'floor', 'instruction.approved', 'instruction', (:instruction_id)::bigint::text, '{"payload_hash": "b617b88ad6f907c82f61f9e83fb7fcf3c65c10ea7c0bd2f88359dbd568efdf85"}', '5aeeab71bba497cf9e5b8f8f0db39e1bd1b01805a1244d98d1a745ed46eceb56', '3532d8ddc8ed5dc38f229cd8790079492946eea0db95feee48a1bacceffe9ff4');
INSERT INTO audit_event (seq, occurred_at, business_date, branch_id, staff_id, role, terminal, action, object_type, object_id, detail, prev_hash, row_hash) VALUES ((:seq)::bigint + 2, now(), (:day)::date, (:branch)::integer, (:checker)::integer, 'supervisor', 'floor', 'entry.posted', 'journal_entry', (:entry_id)::bigint::text, '{"instruction": 1, "legs": [["6222000200000000018", 1, 0], ["6222000100000000028", 0, 1]], "reverses_entry": null}', '3532d8ddc8ed5dc38f229cd8790079492946eea0db95feee48a1bacceffe9ff4', '673870c12c0c3bbd506d00374bb5941c27b8647507edec3a6598a3718bd8bd2e');
UPDATE audit_head SET seq = (:seq)::bigint + 2, row_hash = '673870c12c0c3bbd506d00374bb5941c27b8647507edec3a6598a3718bd8bd2e', head_mac = 'b40b377be42e6f58a6f96d9b25f23f7bd92d86e82363df4751e00b288503c2a8' WHERE audit_head.id = 1;
COMMIT;
