-- The parts that exports and facets read for every match, kept on the supplier row (written with
-- the row, from the same document, in the same transaction), so that reading N suppliers does not
-- look up their capabilities and certifications N times.
--   capability_list         the supplier's own capability codes, in document order
--   certification_schemes   the scheme of each certificate, in document order
--   certification_expiries  its expiry date (NULL: none), same positions; "valid today" is
--                           decided when read (expires_on IS NULL OR expires_on >= current_date),
--                           so the certificate expiry job does not have to touch these.
ALTER TABLE suppliers
    ADD COLUMN capability_list text[] NOT NULL DEFAULT '{}',
    ADD COLUMN certification_schemes text[] NOT NULL DEFAULT '{}',
    ADD COLUMN certification_expiries date[] NOT NULL DEFAULT '{}',
    ADD CONSTRAINT suppliers_certification_arrays_check
        CHECK (cardinality(certification_schemes) = cardinality(certification_expiries));

UPDATE suppliers s SET
    capability_list = coalesce((
        SELECT array_agg(c.code ORDER BY c.position)
        FROM supplier_capabilities c WHERE c.supplier_id = s.id), '{}'),
    certification_schemes = coalesce((
        SELECT array_agg(c.scheme ORDER BY c.position)
        FROM supplier_certifications c WHERE c.supplier_id = s.id), '{}'),
    certification_expiries = coalesce((
        SELECT array_agg(c.expires_on ORDER BY c.position)
        FROM supplier_certifications c WHERE c.supplier_id = s.id), '{}')
WHERE EXISTS (SELECT 1 FROM supplier_capabilities c WHERE c.supplier_id = s.id)
   OR EXISTS (SELECT 1 FROM supplier_certifications c WHERE c.supplier_id = s.id);
