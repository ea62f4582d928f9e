-- The supplier-development ladder (GET /v1/stats/ladder) counts, for each monthly cohort of
-- registration (`created_at`), the suppliers that reached each step. A step is reached when its
-- audit entry is written: the write path sets each column once, in the transaction that writes
-- that entry, and never clears it, so a supplier verified and later suspended still counts as
-- having reached `verified`, and the ladder reads the past as it was.
--   first_submitted_at  the first `submit`
--   first_verified_at   the first `verify`
--   first_certified_at  the first change after which the supplier held a valid (not expired)
--                       quality certificate: iso_9001, iatf_16949, as9100 or iso_13485
ALTER TABLE suppliers
    ADD COLUMN first_submitted_at timestamptz,
    ADD COLUMN first_verified_at timestamptz,
    ADD COLUMN first_certified_at timestamptz;

-- Existing rows: the steps from the audit log; rows written without audit entries (a bulk seed)
-- from what their columns still tell (verified_at, and a quality certificate held now, taken as
-- reached at registration). Nothing is lost: only new columns are written.
UPDATE suppliers s
SET first_submitted_at = a.submitted,
    first_verified_at = a.verified
FROM (SELECT supplier_id,
             min(at) FILTER (WHERE action = 'submit') AS submitted,
             min(at) FILTER (WHERE action = 'verify') AS verified
      FROM audit_log GROUP BY supplier_id) a
WHERE a.supplier_id = s.id AND (a.submitted IS NOT NULL OR a.verified IS NOT NULL);

UPDATE suppliers
SET first_verified_at = coalesce(first_verified_at, verified_at),
    first_submitted_at = coalesce(first_submitted_at, first_verified_at, verified_at)
WHERE verified_at IS NOT NULL;

UPDATE suppliers s SET first_certified_at = s.created_at
WHERE EXISTS (SELECT 1 FROM supplier_certifications c
              WHERE c.supplier_id = s.id AND c.status <> 'expired'
                AND c.scheme IN ('iso_9001', 'iatf_16949', 'as9100', 'iso_13485'));

-- The ladder groups by cohort within one country (or all); a verified supplier's place feeds the
-- resilience figures. Both are computed from these columns and kept for a short while (see
-- `STATS_CACHE_SECONDS`), so no further index is needed for them.
