-- Indexes that no query of this release reads, and that every supplier write maintains (the bulk
-- import spent a tenth of its database time on index upkeep it never used):
--   suppliers_lat_lon_idx            replaced by suppliers_earth_idx (migration 000011), whose
--                                    comment promised this contract step;
--   supplier_capabilities_code_idx   searches, facets and statistics read `capability_codes` on
--                                    the supplier row; only deleting a taxonomy code would look a
--                                    code up here, and the API never deletes one (a manual delete
--                                    still works, by a scan, and the foreign key still refuses it
--                                    while the code is in use);
--   change_events_supplier_idx       the feed is read by id; suppliers are never deleted (their
--                                    audit entries forbid it), so no foreign-key check needs it.
DROP INDEX suppliers_lat_lon_idx;
DROP INDEX supplier_capabilities_code_idx;
DROP INDEX change_events_supplier_idx;
