-- the facet cache's generation, read before every facet answer
SELECT coalesce(max(id), 0) AS feed, current_date AS today FROM change_events;
