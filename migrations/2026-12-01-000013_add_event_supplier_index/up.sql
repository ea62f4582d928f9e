-- A supplier caller's change feed reads only the events of the suppliers it owns
-- (`supplier_id IN (its suppliers) AND id > $after ORDER BY id`). Without this index that page
-- walked every later event of every supplier; with it, each owned supplier's events are read in
-- id order and merged. One more btree entry per event is the cost on writes.
CREATE INDEX change_events_supplier_id_idx ON change_events (supplier_id, id);
