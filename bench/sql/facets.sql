-- facet counts for a capability subtree in one country
WITH matched AS MATERIALIZED (SELECT s.id, s.country, s.subdivision, s.size_class, s.status, s.capability_codes FROM suppliers s WHERE s.status = ANY('{verified}'::text[]) AND s.capability_codes && '{atp}'::text[] AND s.country = 'MX')
SELECT 'capability' AS facet, code AS value, count(*) AS count FROM matched, unnest(capability_codes) AS code GROUP BY code
UNION ALL SELECT 'country', country::text, count(*) FROM matched GROUP BY country
UNION ALL SELECT 'subdivision', subdivision, count(*) FROM matched WHERE subdivision IS NOT NULL GROUP BY subdivision
UNION ALL SELECT 'size_class', size_class, count(*) FROM matched GROUP BY size_class
UNION ALL SELECT 'status', status, count(*) FROM matched GROUP BY status
UNION ALL SELECT 'certification', c.scheme, count(DISTINCT c.supplier_id) FROM supplier_certifications c JOIN matched m ON m.id = c.supplier_id WHERE c.expires_on IS NULL OR c.expires_on >= current_date GROUP BY c.scheme;
