-- Search: each supplier carries its capability codes with all their ancestors (so that a code
-- matches itself and everything below it with one GIN lookup), and an accent- and case-free
-- name key for trigram fuzzy matching (see ../shared/reference/search-performance.md).

-- unaccent() is only STABLE; this wrapper names its dictionary, so it can be IMMUTABLE and indexed.
CREATE FUNCTION sr_unaccent(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN public.unaccent('public.unaccent'::regdictionary, $1);

ALTER TABLE suppliers
    ADD COLUMN capability_codes text[] NOT NULL DEFAULT '{}',
    ADD COLUMN name_key text GENERATED ALWAYS AS
        (lower(sr_unaccent(legal_name || coalesce(' ' || trade_name, '')))) STORED;

UPDATE suppliers s SET capability_codes = coalesce((
    SELECT array_agg(DISTINCT a.code ORDER BY a.code)
    FROM supplier_capabilities sc
    JOIN capabilities a ON sc.code = a.code OR sc.code LIKE a.code || '.%'
    WHERE sc.supplier_id = s.id), '{}');

CREATE INDEX suppliers_capability_codes_idx ON suppliers USING gin (capability_codes);
CREATE INDEX suppliers_name_key_idx ON suppliers USING gist (name_key gist_trgm_ops (siglen = 64));
CREATE INDEX suppliers_list_idx ON suppliers (status, country, size_class, legal_name, id);
CREATE INDEX suppliers_name_order_idx ON suppliers (legal_name, id);
CREATE INDEX suppliers_updated_idx ON suppliers (updated_at DESC, id DESC);
CREATE INDEX suppliers_subdivision_idx ON suppliers (subdivision) WHERE subdivision IS NOT NULL;
CREATE INDEX suppliers_lat_lon_idx ON suppliers (lat, lon) WHERE lat IS NOT NULL;
