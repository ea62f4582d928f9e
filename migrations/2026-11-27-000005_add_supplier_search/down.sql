DROP INDEX suppliers_lat_lon_idx;
DROP INDEX suppliers_subdivision_idx;
DROP INDEX suppliers_updated_idx;
DROP INDEX suppliers_name_order_idx;
DROP INDEX suppliers_list_idx;
DROP INDEX suppliers_name_key_idx;
DROP INDEX suppliers_capability_codes_idx;
ALTER TABLE suppliers DROP COLUMN name_key, DROP COLUMN capability_codes;
DROP FUNCTION sr_unaccent(text);
