CREATE INDEX change_events_supplier_idx ON change_events (supplier_id);
CREATE INDEX supplier_capabilities_code_idx ON supplier_capabilities (code);
CREATE INDEX suppliers_lat_lon_idx ON suppliers (lat, lon) WHERE lat IS NOT NULL;
